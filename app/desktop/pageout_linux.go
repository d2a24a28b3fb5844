package desktop

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ReleaseLibraryPages hands the resident clean pages of the shared
// libraries mapped into this process back to the kernel
// (madvise(MADV_PAGEOUT)), except the C library's, which the Go runtime
// keeps using. It is meant for a start without the window: the binary links
// GTK and WebKit, so the loader maps ~150 libraries at start, reads their
// relocation tables and binds their symbols, which leaves ~28 MB of their
// pages resident although nothing runs them until the window is opened.
// The kernel would reclaim those pages only under memory pressure; paging
// them out now frees the memory at once, and opening the window reads them
// back. The kernel leaves the pages another process maps too (a GTK or
// WebKit app running beside us), and the libraries' relocated data (dirty,
// ~9 MB) stays: only a tray process that does not link WebKit would be rid
// of both. It returns how many mappings it advised.
func ReleaseLibraryPages() (int, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("release library pages: %w", err)
	}
	defer f.Close()
	ranges, err := libraryRanges(f)
	if err != nil {
		return 0, fmt.Errorf("release library pages: %w", err)
	}
	n := 0
	for _, r := range ranges {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, r[0], r[1]-r[0], unix.MADV_PAGEOUT); errno != 0 {
			// EINVAL before Linux 5.4, which has no MADV_PAGEOUT.
			return n, fmt.Errorf("release library pages: madvise: %w", errno)
		}
		n++
	}
	return n, nil
}

// libraryRanges reads /proc/<pid>/maps and returns the address ranges of
// the shared libraries that ReleaseLibraryPages may page out: file mappings
// of a "*.so*" file other than the C library and the loader.
func libraryRanges(maps io.Reader) ([][2]uintptr, error) {
	var out [][2]uintptr
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[5], "/") {
			continue
		}
		if base := filepath.Base(f[5]); !strings.Contains(base, ".so") || keepResident(base) {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			return nil, fmt.Errorf("read maps line %q: no address range", sc.Text())
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("read maps line %q: bad address range", sc.Text())
		}
		out = append(out, [2]uintptr{uintptr(start), uintptr(end)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read maps: %w", err)
	}
	return out, nil
}

// keepResident names the libraries the running app uses while the window
// does not exist: the C library family (threads, DNS, the loader itself).
func keepResident(base string) bool {
	for _, p := range []string{"libc.so", "ld-linux", "libm.so", "libpthread.so", "libdl.so", "librt.so", "libresolv.so", "libnss_", "libgcc_s.so"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}
