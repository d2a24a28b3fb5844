//go:build linux || windows || (darwin && cgo)

package tray

import (
	"testing"

	"fyne.io/systray"
)

// TestMenuIDsParsesSystrayFormat checks the parse against items made by
// systray itself: ids are positive and consecutive in creation order, and a
// nil slot stays 0.
func TestMenuIDsParsesSystrayFormat(t *testing.T) {
	a := systray.AddMenuItem("a", "")
	b := systray.AddMenuItem("b", "")
	got := menuIDs([]*systray.MenuItem{a, b, nil})
	if len(got) != 3 || got[0] == 0 || got[1] != got[0]+1 || got[2] != 0 {
		t.Fatalf("menuIDs(%v, %v, nil) = %v; want two consecutive positive ids and 0", a, b, got)
	}
}
