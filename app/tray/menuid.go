//go:build linux || windows || (darwin && cgo)

package tray

import (
	"fmt"
	"log/slog"

	"fyne.io/systray"
)

// menuIDs returns the platform's ids of the items, which systray keeps
// unexported and shows only in MenuItem.String ("MenuItem[<id>, …]"); 0
// when the format is not recognised. The id is what a Windows WM_COMMAND to
// the tray window carries to choose an item, so the Wine test reads it from
// the debug log instead of counting AddMenuItem calls: the count would
// silently break if systray numbered items differently, a parsed id breaks
// loudly.
func menuIDs(items []*systray.MenuItem) []uint32 {
	ids := make([]uint32, len(items))
	for i, it := range items {
		if it == nil {
			continue
		}
		if _, err := fmt.Sscanf(it.String(), "MenuItem[%d,", &ids[i]); err != nil {
			ids[i] = 0
		}
	}
	return ids
}

// logMenuIDs writes one debug line per item with its title and id (titles
// and ids only: nothing from the account).
func (v *systrayView) logMenuIDs(log *slog.Logger) {
	for i, id := range menuIDs(v.items[:]) {
		log.Debug("tray menu item", "title", v.shown[i].Title, "id", id)
	}
}
