//go:build !windows

package notify

// NewDesktop is the OS's notification sender: the freedesktop notification
// service on the session bus. icon is an icon-theme name or a file path.
func NewDesktop(appName, icon string) (DesktopSender, error) {
	return NewDBusSender(appName, icon)
}
