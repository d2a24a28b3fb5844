package desktop

import "testing"

func TestWindowBackground(t *testing.T) {
	for theme, want := range map[string][3]uint8{
		"": lightBackground, "Adwaita": lightBackground, "Adwaita:dark": darkBackground,
		"Adwaita-dark": darkBackground, "Yaru-Dark": darkBackground,
	} {
		got := windowBackground(func(k string) string {
			if k == "GTK_THEME" {
				return theme
			}
			return ""
		})
		if got != want {
			t.Errorf("GTK_THEME=%q: background %v, want %v", theme, got, want)
		}
	}
}
