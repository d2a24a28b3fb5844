//go:build winee2e

package winetest

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// quitBound is how long the app may take from the Quit command to its
// exit: the graceful shutdown has a 4 s budget, and the tray's Stop waits
// up to 2 s for systray under Wine.
const quitBound = 20 * time.Second

var quitItemLine = regexp.MustCompile(`msg="tray menu item" component=tray title=Quit id=(\d+)`)

// TestTrayMenuAndQuit starts the desktop build (no --headless) with
// --hidden in a fresh state folder, as start at login does. Wine has no
// WebView2, so the window is not created and the app must keep its tray.
// The helper traypoke (a Windows program run under Wine) then posts the
// icon's right-click to systray's window and sees a visible popup menu of
// the app's process appear, closes it, and chooses Quit by posting
// WM_COMMAND with the Quit item's id, which the app logs at debug level.
// The app must then run its graceful shutdown and exit 0.
func TestTrayMenuAndQuit(t *testing.T) {
	w := setup(t)
	poke := os.Getenv("MILADY_WINE_TRAYPOKE")
	if poke == "" {
		t.Fatal("MILADY_WINE_TRAYPOKE (the traypoke.exe scripts/wine/test.sh builds) is not set")
	}
	env := append(w.env(), "MILADY_DEBUG=1", `MILADY_STATE_DIR=C:\milady-tray`)
	app := testbin.Start(t, "app", "wine", env, w.exe, "--hidden", "--port", "0")
	m, err := app.WaitFor(app.Stderr, quitItemLine, startBound)
	if err != nil {
		t.Fatal(err)
	}
	if app.Exited() {
		t.Fatal("the app exited before its tray was used")
	}

	ctx, cancel := context.WithTimeout(context.Background(), startBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", poke, "-quit-id", m[1], "-timeout", "30s")
	cmd.Env = w.env()
	out, err := cmd.CombinedOutput()
	t.Logf("traypoke:\n%s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("traypoke: %v", err)
	}
	if !strings.Contains(string(out), "menu appeared") {
		t.Fatal("traypoke did not see the tray menu appear")
	}
	start := time.Now()
	code, err := app.Wait(quitBound)
	if err != nil {
		t.Fatalf("after Quit from the tray: %v", err)
	}
	if code != 0 {
		t.Fatalf("after Quit from the tray the app exited %d; want 0", code)
	}
	if !strings.Contains(app.Stderr.String(), `msg=stopped`) {
		t.Fatal("the app exited 0 without its graceful shutdown's last line (msg=stopped)")
	}
	t.Logf("the app exited 0 %s after the Quit command", time.Since(start).Round(time.Millisecond))
}
