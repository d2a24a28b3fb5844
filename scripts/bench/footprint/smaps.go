package main

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Mapping families of the hidden app's memory. The split matters for the
// design: the app binary and its anonymous memory are what a tray process
// needs; the shared libraries other than the C library are GTK, WebKit and
// what they pull in, linked for the window only and mapped (and relocated)
// by the loader at start whether or not a window is ever made.
const (
	famBinary = "the app binary"
	famAnon   = "anonymous (Go heap, C heap, stacks)"
	famLibc   = "C library and loader"
	famLibs   = "other shared libraries (GTK, WebKit, …)"
	famOther  = "other mappings"
)

// families is the order breakdowns are printed in.
var families = []string{famBinary, famLibs, famAnon, famLibc, famOther}

// usage is one family's memory, in kB as smaps counts it: shared is the
// resident memory other processes map too (PSS gives us a share of it, and
// the kernel cannot drop it for us alone).
type usage struct {
	pss, dirty, shared, files int
}

// breakdown sums the Pss, Private_Dirty and Shared_* of /proc/<pid>/smaps by mapping
// family; bin is the path of the app binary as the kernel shows it. files
// counts the distinct files mapped in each family.
func breakdown(smaps io.Reader, bin string) (map[string]usage, error) {
	out := map[string]usage{}
	seen := map[string]bool{}
	fam := famOther
	sc := bufio.NewScanner(smaps)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if isMappingHeader(f) {
			path := ""
			if len(f) >= 6 {
				// A path may hold spaces: the rest of the line after the inode.
				path = strings.Join(f[5:], " ")
			}
			fam = family(path, bin)
			if path != "" && !strings.HasPrefix(path, "[") && !seen[path] {
				seen[path] = true
				u := out[fam]
				u.files++
				out[fam] = u
			}
			continue
		}
		if len(f) < 2 || (f[0] != "Pss:" && f[0] != "Private_Dirty:" && f[0] != "Shared_Clean:" && f[0] != "Shared_Dirty:") {
			continue
		}
		kb, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("read smaps line %q: %w", line, err)
		}
		u := out[fam]
		switch f[0] {
		case "Pss:":
			u.pss += kb
		case "Private_Dirty:":
			u.dirty += kb
		default:
			u.shared += kb
		}
		out[fam] = u
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read smaps: %w", err)
	}
	return out, nil
}

// isMappingHeader reports whether the fields are a mapping's first line
// ("start-end perms offset dev inode [path]") rather than a "Key: value" line.
func isMappingHeader(f []string) bool {
	return len(f) >= 5 && !strings.HasSuffix(f[0], ":") && strings.Contains(f[0], "-") && len(f[1]) == 4
}

func family(path, bin string) string {
	switch {
	case path == "" || path == "[heap]" || path == "[stack]" || strings.HasPrefix(path, "[anon"):
		return famAnon
	case path == bin || strings.TrimSuffix(path, " (deleted)") == bin:
		return famBinary
	case strings.HasPrefix(path, "["): // vdso, vvar, vsyscall
		return famOther
	}
	base := filepath.Base(path)
	if !strings.Contains(base, ".so") {
		return famOther
	}
	for _, c := range []string{"libc.so", "ld-linux", "libm.so", "libpthread.so", "libdl.so", "librt.so", "libresolv.so"} {
		if strings.HasPrefix(base, c) {
			return famLibc
		}
	}
	return famLibs
}

// formatBreakdown is one line per family with memory in it, in MB.
func formatBreakdown(b map[string]usage) []string {
	var lines []string
	for _, fam := range families {
		u, ok := b[fam]
		if !ok || u.pss == 0 {
			continue
		}
		l := fmt.Sprintf("%-42s %6.1f MB PSS (%.1f MB private dirty", fam, float64(u.pss)/1024, float64(u.dirty)/1024)
		if u.shared > 0 {
			l += fmt.Sprintf(", %.1f MB resident shared with other processes", float64(u.shared)/1024)
		}
		l += ")"
		if fam == famLibs {
			l += fmt.Sprintf(", %d files", u.files)
		}
		lines = append(lines, l)
	}
	return lines
}
