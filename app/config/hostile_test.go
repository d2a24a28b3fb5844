//go:build unix

// FIFOs, device nodes, Unix sockets and symlinks: POSIX file types that
// Windows lacks (its test binary is built for the Wine run).

package config

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openBounded opens path in a goroutine and fails the test if that takes
// longer than a few seconds: a FIFO used to block Open forever.
func openBounded(t *testing.T, path string) *Store {
	t.Helper()
	done := make(chan *Store, 1)
	go func() {
		s, err := Open(path, nil)
		if err != nil {
			t.Errorf("Open: %v", err)
		}
		done <- s
	}()
	select {
	case s := <-done:
		if s == nil {
			t.FailNow()
		}
		return s
	case <-time.After(5 * time.Second):
		t.Fatalf("Open(%s) did not return within 5 s", path)
		return nil
	}
}

// TestHostileConfigFiles: a milady.json that is not a small regular file
// is reported (path and reason), never written and never blocks start.
func TestHostileConfigFiles(t *testing.T) {
	cases := map[string]struct {
		make   func(t *testing.T, path string)
		reason string
	}{
		"fifo": {func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
		}, "FIFO"},
		"directory": {func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "directory"},
		"socket": {func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Skip("unix socket:", err)
			}
			t.Cleanup(func() { _ = ln.Close() })
		}, "socket"},
		"symlink to a null device": {func(t *testing.T, path string) {
			if err := os.Symlink(nullDevice(t), path); err != nil {
				t.Skip("symlink:", err)
			}
		}, "character device"},
		"dangling symlink": {func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(path), "gone.json"), path); err != nil {
				t.Skip("symlink:", err)
			}
		}, "does not exist"},
		"5 MB file": {func(t *testing.T, path string) {
			b := append([]byte(`{"pad": "`), bytes.Repeat([]byte("x"), 5<<20)...)
			if err := os.WriteFile(path, append(b, `"}`...), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "larger than 4 MiB"},
		"2 MB of [": {func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("["), 2<<20), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "deeper than 1000"},
		"1001 levels in an object": {func(t *testing.T, path string) {
			b := `{"a": ` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`
			if err := os.WriteFile(path, []byte(b), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "deeper than 1000"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			c.make(t, path)
			before, _ := os.Lstat(path)
			s := openBounded(t, path)
			err := s.Err()
			if err == nil || !errors.Is(err, ErrUnparseable) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("Err() = %v; want ErrUnparseable naming %s and %q", err, path, c.reason)
			}
			if st := s.Settings(); st.APIKey != "" {
				t.Fatalf("settings from a hostile file: %+v", st)
			}
			if err := s.SetCloudLogin("eliza_hostile_key"); !errors.Is(err, ErrUnparseable) {
				t.Fatalf("SetCloudLogin: %v, want ErrUnparseable", err)
			}
			after, err := os.Lstat(path)
			if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
				t.Fatalf("%s was replaced: before %v, after %v (%v)", path, before.Mode(), after, err)
			}
		})
	}
}

// TestDevNullNeverReplaced: a login through a milady.json that links to
// /dev/null leaves the device alone (as root it used to become a 0600 file
// holding the key).
func TestDevNullNeverReplaced(t *testing.T) {
	dev := nullDevice(t)
	before, err := os.Stat(dev)
	if err != nil || before.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no character device at", dev)
	}
	link := filepath.Join(t.TempDir(), FileName)
	if err := os.Symlink(dev, link); err != nil {
		t.Skip("symlink:", err)
	}
	s := openBounded(t, link)
	_ = s.SetCloudLogin("eliza_devnull_key")
	_ = s.SetLastAgent("agent")
	after, err := os.Stat(dev)
	if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
		t.Fatalf("%s changed: before %v, after %v (%v)", dev, before.Mode(), after, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dev)); len(entries) > 0 {
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Fatalf("temp file left beside the device: %s", e.Name())
			}
		}
	}
}

// nullDevice is a character device to point the config at. As root the
// old code replaced the device, so root gets a private null device (same
// major/minor as /dev/null) in a temp folder: a regression must not break
// the machine's /dev/null. Others cannot replace /dev/null and use it.
func nullDevice(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return os.DevNull
	}
	dev := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skip("mknod (needed as root, to keep the real /dev/null out of harm's way):", err)
	}
	return dev
}

// TestSwappedForFIFOBeforeWrite: even when the file turns into a FIFO between
// the read and the rename, the write refuses to replace it.
func TestSwappedForFIFOBeforeWrite(t *testing.T) {
	path := writeConfig(t, `{"a": 1}`)
	s := mustOpen(t, path)
	s.beforeWrite = func() {
		_ = os.Remove(path)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Skip("mkfifo:", err)
		}
	}
	err := s.SetCloudLogin("eliza_swapped")
	if err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Fatalf("SetCloudLogin over a FIFO: %v, want a refusal naming the FIFO", err)
	}
	fi, _ := os.Lstat(path)
	if fi == nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", fi)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

// TestSymlinkWrittenThroughInTargetFolder: the temp file goes beside the
// link's target (a rename across folders could cross file systems) and
// the link stays a link.
func TestSymlinkWrittenThroughInTargetFolder(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "milady.json")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("{\n  // mine\n  \"a\": 1\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	linkDir := filepath.Join(dir, "home")
	if err := os.Mkdir(linkDir, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(linkDir, FileName)
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlink:", err)
	}
	if err := mustOpen(t, link).SetCloudLogin("eliza_through"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi == nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
	raw, _ := os.ReadFile(real)
	if !bytes.Contains(raw, []byte("eliza_through")) || !bytes.Contains(raw, []byte("// mine")) {
		t.Fatalf("target = %s", raw)
	}
	if entries, _ := os.ReadDir(linkDir); len(entries) != 1 {
		t.Fatalf("files beside the link: %v", entries)
	}
}

// TestCheckDepth: only real nesting counts, not brackets in strings or
// comments, and exactly 1,000 levels are fine.
func TestCheckDepth(t *testing.T) {
	ok := []string{
		strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
		`{"a": "` + strings.Repeat("[", 5000) + `"}`,
		`{'a': '` + strings.Repeat("{", 5000) + `\'' }`,
		"{// " + strings.Repeat("[", 5000) + "\n}",
		"{/* " + strings.Repeat("[", 5000) + " */}",
		`{"a": "\"` + strings.Repeat("[", 5000) + `"}`,
	}
	for _, s := range ok {
		if err := checkDepth([]byte(s)); err != nil {
			t.Errorf("checkDepth(%.40q…) = %v", s, err)
		}
	}
	if err := checkDepth([]byte(strings.Repeat("{\"a\":", 1001))); !errors.Is(err, errTooDeep) {
		t.Errorf("1001 objects: %v", err)
	}
	if _, err := parseDocument([]byte(`{"a": ` + strings.Repeat("[", 999) + strings.Repeat("]", 999) + `}`)); err != nil {
		t.Errorf("1000 levels rejected: %v", err)
	}
}

// TestOpenRemovesStaleTempsBesideLinkTarget: a save killed midway through
// a linked milady.json leaves its temp file beside the target; the next
// start removes it there.
func TestOpenRemovesStaleTempsBesideLinkTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", FileName)
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(filepath.Dir(real), ".milady.json.tmp-123")
	if err := os.WriteFile(stale, []byte(`{"cloud":{"apiKey":"eliza_stale"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, FileName)
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlink:", err)
	}
	mustOpen(t, link)
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("stale temp file beside the link target was kept")
	}
}
