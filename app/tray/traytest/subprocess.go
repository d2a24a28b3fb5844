package traytest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// subprocessEnv carries the name of the test a child process must run.
const subprocessEnv = "TRAYTEST_SUBPROCESS"

// InSubprocess runs the calling top-level test again, alone, in a fresh
// process of the same test binary, because systray can start only once per
// process. It returns true in the child, where the test body should run, and
// false in the parent after the child finished; the parent fails when the
// child failed and skips when it skipped. Typical use:
//
//	func TestTray(t *testing.T) {
//		if !traytest.InSubprocess(t) {
//			return
//		}
//		// … start the tray …
//	}
func InSubprocess(t *testing.T) bool {
	t.Helper()
	if RaceEnabled {
		t.Fatal("this test starts the real systray, which races internally (v1.12.2 refresh vs GetLayout): run it without -race")
	}
	if os.Getenv(subprocessEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0],
		"-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1", "-test.timeout=90s")
	cmd.Env = append(os.Environ(), subprocessEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	text := string(out)
	switch {
	case err != nil:
		t.Fatalf("subprocess failed: %v\n%s", err, text)
	case strings.Contains(text, "--- SKIP: "+t.Name()):
		t.Skipf("subprocess skipped:\n%s", text)
	case !strings.Contains(text, "--- PASS: "+t.Name()):
		t.Fatalf("subprocess did not run %s:\n%s", t.Name(), text)
	default:
		t.Logf("subprocess output:\n%s", text)
	}
	return false
}
