package main

import (
	"strings"
	"testing"
)

// A trimmed /proc/<pid>/smaps of the hidden app: the binary (two mappings),
// WebKit (two mappings of one file), GTK, the C library, the Go heap, the
// vdso.
const smapsFixture = `5617a0101000-5617a029e000 r--p 00000000 fe:00 9978280                    /opt/x/milady-cloud
Size:               1652 kB
Rss:                1652 kB
Pss:                1652 kB
Private_Dirty:         0 kB
5617a1189000-5617a1318000 r--p 01087000 fe:00 9978280                    /opt/x/milady-cloud
Rss:                1592 kB
Pss:                1592 kB
Private_Dirty:      1356 kB
7f00a0000000-7f00a0100000 r-xp 00000000 fe:00 1111                       /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9
Pss:                7488 kB
Private_Dirty:         0 kB
7f00a0200000-7f00a0300000 rw-p 00100000 fe:00 1111                       /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9
Pss:                3184 kB
Private_Dirty:      3184 kB
7f00a0400000-7f00a0500000 r-xp 00000000 fe:00 2222                       /usr/lib/x86_64-linux-gnu/libgtk-3.so.0.2406.32
Pss:                 680 kB
Shared_Clean:        400 kB
Shared_Dirty:          8 kB
Private_Dirty:        80 kB
7f00a0600000-7f00a0700000 r-xp 00000000 fe:00 3333                       /usr/lib/x86_64-linux-gnu/libc.so.6
Pss:                 900 kB
Private_Dirty:       100 kB
1856d3400000-1856d3c00000 rw-p 00000000 00:00 0 
Pss:                4952 kB
Private_Dirty:      4952 kB
7ffc9aa75000-7ffc9aa77000 r-xp 00000000 00:00 0                          [vdso]
Pss:                   4 kB
Private_Dirty:         0 kB
VmFlags: rd ex mr mw me de sd
`

func TestBreakdownSortsMappingsIntoFamilies(t *testing.T) {
	b, err := breakdown(strings.NewReader(smapsFixture), "/opt/x/milady-cloud")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]usage{
		famBinary: {pss: 1652 + 1592, dirty: 1356, files: 1},
		famLibs:   {pss: 7488 + 3184 + 680, dirty: 3184 + 80, shared: 408, files: 2},
		famLibc:   {pss: 900, dirty: 100, files: 1},
		famAnon:   {pss: 4952, dirty: 4952},
		famOther:  {pss: 4},
	}
	if len(b) != len(want) {
		t.Errorf("families = %v, want %v", b, want)
	}
	for fam, w := range want {
		if b[fam] != w {
			t.Errorf("%s = %+v, want %+v", fam, b[fam], w)
		}
	}
	lines := formatBreakdown(b)
	if len(lines) != 5 || !strings.HasPrefix(lines[0], famBinary) || !strings.Contains(lines[1], "11.1 MB PSS (3.2 MB private dirty, 0.4 MB resident shared with other processes), 2 files") {
		t.Errorf("formatted:\n%s", strings.Join(lines, "\n"))
	}
}

func TestBreakdownRejectsABadValue(t *testing.T) {
	bad := "1856d3400000-1856d3c00000 rw-p 00000000 00:00 0 \nPss:   many kB\n"
	if _, err := breakdown(strings.NewReader(bad), "/bin/x"); err == nil {
		t.Fatal("no error for a Pss value that is not a number")
	}
}
