// Command trayclick picks an entry of the app's tray menu the way a desktop
// panel does: it reads the item's dbusmenu layout (GetLayout) and sends
// com.canonical.dbusmenu.Event(id, "clicked"). The window test and the
// footprint bench use it to "click" Open Dashboard.
//
//	trayclick SENDER SERVICE LABEL
//
// SENDER and SERVICE are what fakewatcher prints for the registration
// ("registered SENDER SERVICE"): systray registers with its object path, so
// SERVICE is a path and SENDER the bus name; other items register a bus
// name. It prints "clicked ID LABEL" and exits 0, or says why not and exits 1.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	itemIface = "org.kde.StatusNotifierItem"
	menuIface = "com.canonical.dbusmenu"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: trayclick SENDER SERVICE LABEL")
		os.Exit(2)
	}
	id, err := click(os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "trayclick:", err)
		os.Exit(1)
	}
	fmt.Printf("clicked %d %s\n", id, os.Args[3])
}

func click(sender, service, label string) (int32, error) {
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
