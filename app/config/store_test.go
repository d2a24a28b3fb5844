package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fixture copies a testdata file to a fresh folder and returns its path.
func fixture(t *testing.T, name string) (string, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustOpen(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Open: store broken: %v", err)
	}
	return s
}

// readTree parses the file on disk as hujson, without the JSON5 pre-pass:
// what this app writes must always be plain hujson.
func readTree(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseDocument(raw)
	if err != nil {
		t.Fatalf("written file does not parse: %v\n%s", err, raw)
	}
	if doc.json5 {
		t.Fatalf("written file needs the JSON5 pre-pass:\n%s", raw)
	}
	return doc.tree
}

// without returns a copy of tree with the given dotted paths removed.
func without(tree map[string]any, paths ...string) map[string]any {
	tree = copyTree(tree)
	for _, p := range paths {
		keys := strings.Split(p, ".")
		obj := tree
		for _, k := range keys[:len(keys)-1] {
			child, ok := obj[k].(map[string]any)
			if !ok {
				obj = nil
				break
			}
			obj = child
		}
		if obj != nil {
			delete(obj, keys[len(keys)-1])
		}
	}
	return tree
}

func TestPatchKeepsCommentsAndTrailingCommas(t *testing.T) {
	in := "{\n  // top comment\n  \"agents\": {\"list\": [1, 2]},\n  \"cloud\": {\n    \"enabled\": false, // off\n  },\n}\n"
	path := writeConfig(t, in)
	s := mustOpen(t, path)
	if err := s.SetCloudLogin("eliza_key"); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "after login", "{\n  // top comment\n  \"agents\": {\"list\": [1, 2]},\n  \"cloud\": {\n    \"enabled\": true, // off\n    \"apiKey\": \"eliza_key\",\n  },\n}\n")
	// Log-out gives back the file as it was, byte for byte.
	if err := s.ClearCloudLogin(); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "after log-out (the original)", in)
}

func TestPatchKeepsUnknownKeysAndLayout(t *testing.T) {
	path, orig := fixture(t, "milady-full.json")
	before := readTree(t, path)
	s := mustOpen(t, path)
	if err := s.Update(func(p *Patch) {
		p.SetCloudLogin("eliza_abc")
		p.SetLastAgent("2b7d0a4e-0000-4000-8000-000000000001")
		p.SetWasConnected(true)
	}); err != nil {
		t.Fatal(err)
	}
	after := readTree(t, path)
	changed := []string{"cloud.enabled", "cloud.apiKey", "desktop.lastAgentId", "desktop.wasConnected"}
	if !reflect.DeepEqual(without(before, changed...), without(after, changed...)) {
		t.Fatalf("keys the app does not own changed:\nbefore %v\nafter  %v", before, after)
	}
	// Every line of the original except the one whose value changed is still
	// in the file: comments, trailing commas and number spellings included.
	got, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(orig), "\n") {
		if strings.Contains(line, `"enabled": false,`) && !strings.Contains(line, "discord") {
			continue
		}
		if !bytes.Contains(got, []byte(line)) {
			t.Errorf("line lost: %q", line)
		}
	}
	st := s.Settings()
	if st.APIKey != "eliza_abc" || !st.CloudEnabled() || !st.WasConnected || st.LastAgentID == "" {
		t.Errorf("settings after update: %v", st)
	}
}

func TestClearCloudLoginRemovesKey(t *testing.T) {
	path := writeConfig(t, `{"cloud": {"enabled": true, "apiKey": "eliza_old", "baseUrl": "https://x.example"}, "other": 1}`)
	s := mustOpen(t, path)
	if err := s.ClearCloudLogin(); err != nil {
		t.Fatal(err)
	}
	tree := readTree(t, path)
	cloud := tree["cloud"].(map[string]any)
	if _, ok := cloud["apiKey"]; ok {
		t.Errorf("apiKey still present: %v", cloud)
	}
	if cloud["enabled"] != false || cloud["baseUrl"] != "https://x.example" || tree["other"] != json.Number("1") {
		t.Errorf("tree after log-out: %v", tree)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("eliza_old")) {
		t.Errorf("key still in the file:\n%s", raw)
	}
	if st := s.Settings(); st.APIKey != "" || st.CloudEnabled() {
		t.Errorf("settings after log-out: %v", st)
	}
	// Clearing twice is fine and writes nothing new.
	if err := s.ClearCloudLogin(); err != nil {
		t.Fatal(err)
	}
}

func TestJSON5BackupWrittenOnce(t *testing.T) {
	path, orig := fixture(t, "json5.json")
	s := mustOpen(t, path)
	if got := s.Settings().APIKey; got != "eliza_0123" {
		t.Fatalf("APIKey from JSON5 file = %q", got)
	}
	if err := s.SetLastAgent("a1"); err != nil {
		t.Fatal(err)
	}
	bak := path + ".bak"
	b, err := os.ReadFile(bak)
	if err != nil {
		t.Fatalf("no backup after rewriting a JSON5 file: %v", err)
	}
	if !bytes.Equal(b, orig) {
		t.Errorf("backup differs from the original")
	}
	if fi, _ := os.Stat(bak); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	tree := readTree(t, path) // plain hujson now
	if got := without(tree, "desktop"); !reflect.DeepEqual(got, mustTree(t, orig)) {
		t.Errorf("rewritten JSON5 lost content: %v", got)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Contains(got, []byte("// JSON5 written by hand")) {
		t.Errorf("comment lost in the rewrite:\n%s", got)
	}

	// Later writes, even of a new JSON5 file, never replace the backup.
	if err := os.WriteFile(path, []byte("{cloud: {apiKey: 'second'}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLastAgent("a2"); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(bak); !bytes.Equal(b2, orig) {
		t.Errorf("backup was overwritten:\n%s", b2)
	}
	if s.Settings().APIKey != "second" {
		t.Errorf("external edit not picked up before patching")
	}
}

func mustTree(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	doc, err := parseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	return doc.tree
}

func TestNoBackupForPlainHuJSON(t *testing.T) {
	path, _ := fixture(t, "milady-full.json")
	s := mustOpen(t, path)
	if err := s.SetLastAgent("a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".bak"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup written for a file whose syntax was kept: %v", err)
	}
}

func TestUnparseableFileNeverTouched(t *testing.T) {
	path, orig := fixture(t, "broken.json")
	fi0, _ := os.Stat(path)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open must not fail for a broken file: %v", err)
	}
	perr := s.Err()
	if perr == nil {
		t.Fatal("Err() = nil for an unparseable file")
	}
	if !strings.Contains(perr.Error(), path) || !strings.Contains(perr.Error(), "line 5") {
		t.Errorf("Err() = %q; want the path and the position", perr)
	}
	if !errors.Is(perr, ErrUnparseable) {
		t.Errorf("Err() is not ErrUnparseable")
	}
	if strings.Contains(perr.Error(), "eliza_secret") {
		t.Errorf("Err() leaks the key: %q", perr)
	}
	if st := s.Settings(); st.APIKey != "" || !reflect.DeepEqual(st, Defaults()) {
		t.Errorf("broken store settings = %v, want defaults (logged out)", st)
	}
	for name, write := range map[string]func() error{
		"SetCloudLogin":    func() error { return s.SetCloudLogin("k") },
		"ClearCloudLogin":  s.ClearCloudLogin,
		"SetLastAgent":     func() error { return s.SetLastAgent("a") },
		"SetWasConnected":  func() error { return s.SetWasConnected(true) },
		"SetNotifications": func() error { return s.SetNotifications(false) },
	} {
		if err := write(); !errors.Is(err, ErrUnparseable) {
			t.Errorf("%s on broken file: err = %v, want ErrUnparseable", name, err)
		}
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, orig) {
		t.Fatalf("broken file was modified")
	}
	fi1, _ := os.Stat(path)
	if !os.SameFile(fi0, fi1) || !fi0.ModTime().Equal(fi1.ModTime()) {
		t.Errorf("broken file was replaced or touched")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("extra files beside the broken config: %v", entries)
	}

	// Once the user fixes the file, writes work again.
	if err := os.WriteFile(path, []byte(`{"agents": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCloudLogin("k2"); err != nil {
		t.Fatalf("write after fixing the file: %v", err)
	}
	if s.Err() != nil || s.Settings().APIKey != "k2" {
		t.Errorf("store still broken after the file was fixed: %v", s.Err())
	}
}

func TestParseErrorHidesLiteral(t *testing.T) {
	// A raw control character inside the key makes hujson report the
	// whole string literal; the message must not carry it.
	path := writeConfig(t, "{\"cloud\": {\"apiKey\": \"eliza_topsecret\x01tail\"}}")
	s, _ := Open(path, nil)
	if s.Err() == nil {
		t.Fatal("expected a parse error")
	}
	if strings.Contains(s.Err().Error(), "topsecret") {
		t.Errorf("parse error leaks the literal: %v", s.Err())
	}
}

func TestModesAndFolders(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "new", "sub", FileName)
	s := mustOpen(t, path)
	if st := s.Settings(); !reflect.DeepEqual(st, Defaults()) {
		t.Errorf("missing file settings = %v, want defaults", st)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created the file")
	}
	if err := s.SetCloudLogin("k"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(base, "new"), filepath.Join(base, "new", "sub")} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", dir, fi.Mode().Perm())
		}
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}

	// An existing folder keeps its mode; an existing 0644 file becomes 0600.
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(open, 0o755)
	p2 := filepath.Join(open, FileName)
	if err := os.WriteFile(p2, []byte(`{"a": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(p2, 0o644)
	if err := mustOpen(t, p2).SetLastAgent("x"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(open); fi.Mode().Perm() != 0o755 {
		t.Errorf("existing folder mode changed to %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(p2); fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestNewFileLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := mustOpen(t, path)
	if err := s.Update(func(p *Patch) {
		p.SetCloudLogin("k")
		p.SetNotifications(false)
	}); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "new file", "{\n  \"cloud\": {\n    \"enabled\": true,\n    \"apiKey\": \"k\"\n  },\n  \"desktop\": {\n    \"notifications\": false\n  }\n}\n")
}

func TestCompactFileStaysOnOneLine(t *testing.T) {
	path := writeConfig(t, `{"a": 1, "b": [1,2]}`)
	if err := mustOpen(t, path).SetLastAgent("x"); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "compact file", `{"a": 1, "b": [1,2], "desktop": {"lastAgentId": "x"}}`)
}

func TestTabIndentedFile(t *testing.T) {
	path := writeConfig(t, "{\n\t\"cloud\": {\n\t\t\"apiKey\": \"old\",\n\t\t/* keep */\n\t\t\"baseUrl\": \"https://x\"\n\t}\n}\n")
	if err := mustOpen(t, path).SetCloudLogin("new"); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "tab-indented file", "{\n\t\"cloud\": {\n\t\t\"apiKey\": \"new\",\n\t\t/* keep */\n\t\t\"baseUrl\": \"https://x\",\n\t\t\"enabled\": true\n\t}\n}\n")
}

func TestExternalEditsKept(t *testing.T) {
	path := writeConfig(t, `{"a": 1}`)
	s := mustOpen(t, path)
	// Milady rewrites the file while the app runs.
	if err := os.WriteFile(path, []byte(`{"a": 2, "plugins": {"x": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLastAgent("id"); err != nil {
		t.Fatal(err)
	}
	tree := readTree(t, path)
	if tree["a"] != json.Number("2") || tree["plugins"] == nil {
		t.Errorf("external edit lost: %v", tree)
	}
}

func TestNoOpUpdateDoesNotWrite(t *testing.T) {
	path := writeConfig(t, `{"desktop": {"notifications": true}}`)
	fi0, _ := os.Stat(path)
	s := mustOpen(t, path)
	if err := s.SetNotifications(true); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(*Patch) {}); err != nil {
		t.Fatal(err)
	}
	fi1, _ := os.Stat(path)
	if !os.SameFile(fi0, fi1) {
		t.Errorf("file replaced by an update that changed nothing")
	}
}

func TestSymlinkedConfigStaysALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "milady.json")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte(`{"a": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, FileName)
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	if err := mustOpen(t, link).SetLastAgent("x"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced by a regular file")
	}
	if tree := readTree(t, real); tree["desktop"] == nil {
		t.Errorf("target not updated: %v", tree)
	}
}

func TestDuplicateKeysFollowLastOne(t *testing.T) {
	path := writeConfig(t, `{"cloud": {"apiKey": "a"}, "cloud": {"apiKey": "b", "x": 1}}`)
	s := mustOpen(t, path)
	if got := s.Settings().APIKey; got != "b" {
		t.Fatalf("APIKey = %q, want the last duplicate", got)
	}
	if err := s.ClearCloudLogin(); err != nil {
		t.Fatal(err)
	}
	tree := readTree(t, path)
	cloud := tree["cloud"].(map[string]any)
	if _, ok := cloud["apiKey"]; ok || cloud["x"] != json.Number("1") {
		t.Errorf("cloud after log-out = %v", cloud)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	path, _ := fixture(t, "milady-full.json")
	s := mustOpen(t, path)
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Update(func(p *Patch) { p.Set([]string{"desktop", "k", fmt.Sprint(i)}, i) }); err != nil {
				t.Error(err)
			}
			_ = s.Settings()
		}()
	}
	wg.Wait()
	k := readTree(t, path)["desktop"].(map[string]any)["k"].(map[string]any)
	if len(k) != n {
		t.Errorf("%d of %d concurrent updates survived: %v", len(k), n, k)
	}
}

func TestPatchErrors(t *testing.T) {
	s := mustOpen(t, writeConfig(t, `{}`))
	if err := s.Update(func(p *Patch) { p.Set(nil, 1) }); err == nil {
		t.Error("Set with an empty path: no error")
	}
	if err := s.Update(func(p *Patch) { p.Delete([]string{}) }); err == nil {
		t.Error("Delete with an empty path: no error")
	}
	if err := s.Update(func(p *Patch) { p.Set([]string{"x"}, make(chan int)) }); err == nil {
		t.Error("Set with an unencodable value: no error")
	}
	if err := s.Update(func(p *Patch) { p.Delete([]string{"no", "such", "key"}) }); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
}

func TestSetReplacesNonObjectParent(t *testing.T) {
	path := writeConfig(t, `{"cloud": null, "desktop": "oops"}`)
	s := mustOpen(t, path)
	if err := s.Update(func(p *Patch) {
		p.SetCloudLogin("k")
		p.SetLastAgent("a")
		p.Set([]string{"cloud", "urls"}, []string{"https://a?x=1&y=2"})
	}); err != nil {
		t.Fatal(err)
	}
	st := s.Settings()
	if st.APIKey != "k" || st.LastAgentID != "a" {
		t.Errorf("settings = %v", st)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("x=1&y=2")) {
		t.Errorf("& was HTML-escaped:\n%s", raw)
	}
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	path := writeConfig(t, `{}`)
	stale := filepath.Join(filepath.Dir(path), ".milady.json.tmp-123")
	if err := os.WriteFile(stale, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, path)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file left: %v", err)
	}
}

func TestOpenLogsBrokenFileWithoutSecrets(t *testing.T) {
	path, _ := fixture(t, "broken.json")
	var buf bytes.Buffer
	s, err := Open(path, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil || s.Err() == nil {
		t.Fatalf("Open = %v, Err = %v", err, s.Err())
	}
	if !strings.Contains(buf.String(), path) {
		t.Errorf("log does not name the file: %s", buf.String())
	}
	if strings.Contains(buf.String(), "eliza_secret") {
		t.Errorf("log leaks the key: %s", buf.String())
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open("", nil); err == nil {
		t.Error("Open(\"\"): no error")
	}
}

// wantFile fails the test unless the file at path holds exactly want; what
// names the moment for the message.
func wantFile(t *testing.T, path, what, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s:\n%s\nwant:\n%s", what, got, want)
	}
}
