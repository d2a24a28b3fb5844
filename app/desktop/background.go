package desktop

import "strings"

// The dashboard's page backgrounds (frontend/src/app.css --bg), painted by
// the window before the page is, so opening it does not flash another colour.
var (
	lightBackground = [3]uint8{0xf6, 0xf7, 0xf9}
	darkBackground  = [3]uint8{0x11, 0x13, 0x18}
)

// windowBackground picks the dashboard background the page will most likely
// paint. WebKitGTK reports prefers-color-scheme from the GTK theme, which is
// light unless GTK_THEME asks for a dark variant ("Adwaita:dark",
// "Adwaita-dark"), so that is what is checked.
func windowBackground(getenv func(string) string) [3]uint8 {
	theme := strings.ToLower(getenv("GTK_THEME"))
	if strings.HasSuffix(theme, ":dark") || strings.HasSuffix(theme, "-dark") {
		return darkBackground
	}
	return lightBackground
}
