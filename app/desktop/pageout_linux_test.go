package desktop

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestLibraryRangesPicksTheLibrariesButNotTheCLibrary(t *testing.T) {
	maps := strings.Join([]string{
		"5617a0101000-5617a029e000 r--p 00000000 fe:00 9978280 /usr/bin/milady-cloud",
		"7f00a0000000-7f00a0100000 r-xp 00000000 fe:00 1111 /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9",
		"7f00a0200000-7f00a0300000 rw-p 00100000 fe:00 1111 /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9",
		"7f00a0400000-7f00a0401000 r--p 00000000 fe:00 2222 /usr/lib/x86_64-linux-gnu/libflite_cmu_us_slt.so.2.2",
		"7f00a0600000-7f00a0700000 r-xp 00000000 fe:00 3333 /usr/lib/x86_64-linux-gnu/libc.so.6",
		"7f00a0800000-7f00a0900000 r-xp 00000000 fe:00 3334 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"7f00a0a00000-7f00a0b00000 rw-p 00000000 00:00 0 ",
		"7ffc9aa75000-7ffc9aa77000 r-xp 00000000 00:00 0 [vdso]",
		"7f00a0c00000-7f00a0d00000 rw-s 00000000 00:01 77 /memfd:wayland-shm (deleted)",
	}, "\n")
	got, err := libraryRanges(strings.NewReader(maps))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]uintptr{
		{0x7f00a0000000, 0x7f00a0100000},
		{0x7f00a0200000, 0x7f00a0300000},
		{0x7f00a0400000, 0x7f00a0401000},
	}
	if len(got) != len(want) {
		t.Fatalf("ranges = %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("range %d = %x, want %x", i, got[i], want[i])
		}
	}
}

func TestLibraryRangesRejectsABadLine(t *testing.T) {
	if _, err := libraryRanges(strings.NewReader("zz-7f00a0100000 r-xp 0 fe:00 1 /lib/libx.so.1\n")); err == nil {
		t.Fatal("no error for an address range that is not hex")
	}
}

// The pages of a mapped library that were read in are no longer resident
// after ReleaseLibraryPages: that is the memory a start without the window
// gives back.
func TestReleaseLibraryPagesDropsResidentPages(t *testing.T) {
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == 0x01021994 { // TMPFS_MAGIC: its pages can only go to swap
		t.Skip("the temporary folder is on tmpfs; set TMPDIR to a disk-backed folder")
	}
	const size = 2 << 20
	path := filepath.Join(dir, "libfootprint-test.so.1")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", size)), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Munmap(mem) }()
	sum := 0
	for i := 0; i < size; i += os.Getpagesize() {
		sum += int(mem[i])
	}
	if sum == 0 {
		t.Fatal("read nothing from the mapping")
	}
	before := residentKB(t, path)
	if before < size/1024/2 {
		t.Fatalf("only %d kB of the %d kB mapping resident after reading it", before, size/1024)
	}
	n, err := ReleaseLibraryPages()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no mapping advised")
	}
	if after := residentKB(t, path); after > before/10 {
		t.Errorf("%d kB still resident after release (was %d kB)", after, before)
	}
}

// residentKB is the Rss of this process's mappings of path.
func residentKB(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kb, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		switch {
		case len(fl) >= 5 && strings.Contains(fl[0], "-") && !strings.HasSuffix(fl[0], ":"):
			in = len(fl) >= 6 && fl[5] == path
		case in && len(fl) >= 2 && fl[0] == "Rss:":
			v, _ := strconv.Atoi(fl[1])
			kb += v
		}
	}
	return kb
}
