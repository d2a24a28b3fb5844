//go:build unix && !darwin

package opener

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHelper puts an xdg-open on PATH that writes its environment and
// arguments to a file, and returns that file.
func fakeHelper(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "record")
	script := "#!/bin/sh\nenv > '" + out + "'\necho \"ARGS=$*\" >> '" + out + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return out
}

// TestOpenDropsSecrets: the helper gets the environment without any
// ELIZAOS_* variable or the REST token, and the rest of it unchanged.
func TestOpenDropsSecrets(t *testing.T) {
	rec := fakeHelper(t)
	t.Setenv("ELIZAOS_CLOUD_API_KEY", "eliza_must_not_leak")
	t.Setenv("ELIZAOS_CLOUD_ENABLED", "true")
	t.Setenv("elizaos_lower", "x")
	t.Setenv("MILADY_API_TOKEN", "token_must_not_leak")
	t.Setenv("KEEP_ME", "kept")
	if err := New(nil).Open("https://example.invalid/billing?x=1"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if strings.Contains(strings.ToUpper(got), "ELIZAOS_") || strings.Contains(got, "eliza_must_not_leak") ||
		strings.Contains(got, "token_must_not_leak") {
		t.Fatalf("the helper saw a secret:\n%s", got)
	}
	if !strings.Contains(got, "KEEP_ME=kept") || !strings.Contains(got, "ARGS=https://example.invalid/billing?x=1") {
		t.Fatalf("the helper lost the environment or the URL:\n%s", got)
	}
}

// TestOpenRefusesOtherSchemes: only web URLs reach the helper, and a URL
// with credentials is not echoed.
func TestOpenRefusesOtherSchemes(t *testing.T) {
	rec := fakeHelper(t)
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "ssh://host", "", "https://", "ftp://user:hunter2@host/"} {
		err := New(nil).Open(u)
		if err == nil {
			t.Errorf("Open(%q) = nil", u)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) echoes the password: %v", u, err)
		}
	}
	if _, err := os.Stat(rec); err == nil {
		t.Fatal("the helper ran for a refused URL")
	}
}

// TestOpenReportsHelperFailure: a helper that fails is an error.
func TestOpenReportsHelperFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if err := New(nil).Open("http://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "xdg-open") {
		t.Fatalf("Open with a failing helper = %v", err)
	}
}

func TestFilter(t *testing.T) {
	got := Filter([]string{"A=1", "ELIZAOS_X=2", "Elizaos_y=3", "ELIZA=4", "ELIZAOS=5", "=odd",
		"MILADY_API_TOKEN=t", "milady_api_token=t", "MILADY_API_TOKEN_X=6", "MILADY_PORT=7"})
	if strings.Join(got, " ") != "A=1 ELIZA=4 ELIZAOS=5 =odd MILADY_API_TOKEN_X=6 MILADY_PORT=7" {
		t.Fatalf("Filter = %v", got)
	}
}
