//go:build desktop && !windows

package desktop

// webviewPreflight has nothing to check outside Windows: the web view
// (WebKitGTK, WKWebView) is part of the system or of the package's
// dependencies.
func webviewPreflight() error { return nil }
