// Package sni clicks a tray menu entry the way a desktop panel does: it
// reads the StatusNotifierItem's dbusmenu layout (GetLayout) and sends
// com.canonical.dbusmenu.Event(id, "clicked"). Used by the window test's
// trayclick and by the footprint bench.
package sni

import (
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	itemIface = "org.kde.StatusNotifierItem"
	menuIface = "com.canonical.dbusmenu"
)

// Click picks the menu entry labelled label on the item that registered
// as (sender, service) with the watcher: systray registers with its object
// path, so service is a path and sender its bus name; other items register
// a bus name. It returns the entry's id.
func Click(sender, service, label string) (int32, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return 0, fmt.Errorf("connect to session bus: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.Auth(nil); err != nil {
		return 0, fmt.Errorf("authenticate to session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return 0, fmt.Errorf("say hello to session bus: %w", err)
	}
	dest, item := service, dbus.ObjectPath("/StatusNotifierItem")
	if strings.HasPrefix(service, "/") {
		dest, item = sender, dbus.ObjectPath(service)
	}
	var menu dbus.Variant
	if err := conn.Object(dest, item).Call("org.freedesktop.DBus.Properties.Get", 0, itemIface, "Menu").Store(&menu); err != nil {
		return 0, fmt.Errorf("read the item's Menu property: %w", err)
	}
	menuPath, ok := menu.Value().(dbus.ObjectPath)
	if !ok {
		return 0, fmt.Errorf("the item's Menu property is %T, want an object path", menu.Value())
	}
	var rev uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	if err := conn.Object(dest, menuPath).Call(menuIface+".GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &root); err != nil {
		return 0, fmt.Errorf("get menu layout: %w", err)
	}
	id, found := find(root.Children, label)
	if !found {
		return 0, fmt.Errorf("no menu entry labelled %q", label)
	}
	call := conn.Object(dest, menuPath).Call(menuIface+".Event", 0,
		id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix()))
	if call.Err != nil {
		return 0, fmt.Errorf("send clicked to entry %d: %w", id, call.Err)
	}
	return id, nil
}

// find looks for the label among (ia{sv}av) entries, depth first.
func find(children []dbus.Variant, label string) (int32, bool) {
	for _, c := range children {
		fields, ok := c.Value().([]any)
		if !ok || len(fields) != 3 {
			continue
		}
		id, _ := fields[0].(int32)
		props, _ := fields[1].(map[string]dbus.Variant)
		if l, _ := props["label"].Value().(string); l == label {
			return id, true
		}
		if kids, ok := fields[2].([]dbus.Variant); ok {
			if id, ok := find(kids, label); ok {
				return id, true
			}
		}
	}
	return 0, false
}
