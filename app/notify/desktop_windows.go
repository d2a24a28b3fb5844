//go:build windows

package notify

// NewDesktop is the OS's notification sender: Windows toasts. The toast
// shows the app's registered name and icon; the icon argument (an
// icon-theme name on Linux) does not apply.
func NewDesktop(appName, _ string) (DesktopSender, error) {
	return NewToastSender(appName)
}
