//go:build desktop && windows

package desktop

import (
	"errors"
	"fmt"

	"github.com/wailsapp/go-webview2/webviewloader"
)

// errNoWebView2 is why Run does not open a window on a Windows without the
// WebView2 runtime.
var errNoWebView2 = errors.New("the WebView2 runtime is not installed (get it from https://go.microsoft.com/fwlink/p/?LinkId=2124703); the dashboard opens in the browser instead")

// webviewPreflight checks for the WebView2 runtime before wails.Run, which
// would otherwise ask in a modal "Missing Requirements" box whether to
// download it. That box blocks the main goroutine until answered: started
// at login (--hidden) it pops up unasked, and a Quit from the tray could
// not end the app while it was open. Without the runtime, Run returns an
// error and the app keeps its tray and REST API, with the dashboard in the
// browser, as where no display exists.
func webviewPreflight() error {
	v, err := webviewloader.GetAvailableCoreWebView2BrowserVersionString("")
	if err != nil {
		return fmt.Errorf("look for the WebView2 runtime: %w", err)
	}
	if v == "" {
		return errNoWebView2
	}
	return nil
}
