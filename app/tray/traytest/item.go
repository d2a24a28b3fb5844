package traytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/milady-ai/milady-cloud/internal/dbustest"
)

// Item is a StatusNotifierItem seen from the bus, as a host sees it.
type Item struct {
	conn     *dbus.Conn
	Dest     string          // bus name serving the item
	Path     dbus.ObjectPath // the item object
	MenuPath dbus.ObjectPath // its dbusmenu object
}

// ItemFor resolves a registration to the item: systray registers with its
// object path, other implementations with a bus name.
func ItemFor(t testing.TB, b *dbustest.Bus, r Registration) *Item {
	t.Helper()
	it := &Item{conn: b.Conn(t), Dest: r.Service, Path: DefaultItem, MenuPath: DefaultMenu}
	if strings.HasPrefix(r.Service, "/") {
		it.Dest, it.Path = r.Sender, dbus.ObjectPath(r.Service)
	}
	return it
}

// ItemProps are the item properties a host renders.
type ItemProps struct {
	Title        string
	Tooltip      string // the tooltip's title
	Menu         dbus.ObjectPath
	IconW, IconH int
	IconARGB     []byte
}

// Props reads the item's properties.
func (it *Item) Props(t testing.TB) ItemProps {
	t.Helper()
	var all map[string]dbus.Variant
	err := it.conn.Object(it.Dest, it.Path).Call("org.freedesktop.DBus.Properties.GetAll", 0, ItemIface).Store(&all)
	if err != nil {
		t.Fatalf("read %s properties: %v", ItemIface, err)
	}
	var p ItemProps
	_ = all["Title"].Store(&p.Title)
	_ = all["Menu"].Store(&p.Menu)
	var tip struct {
		Icon  string
		Icons []struct {
			W, H int32
			Pix  []byte
		}
		Title, Text string
	}
	if err := all["ToolTip"].Store(&tip); err != nil {
		t.Fatalf("decode ToolTip %v: %v", all["ToolTip"], err)
	}
	p.Tooltip = tip.Title
	var pix []struct {
		W, H int32
		Pix  []byte
	}
	if err := all["IconPixmap"].Store(&pix); err != nil {
		t.Fatalf("decode IconPixmap: %v", err)
	}
	if len(pix) > 0 {
		p.IconW, p.IconH, p.IconARGB = int(pix[0].W), int(pix[0].H), pix[0].Pix
	}
	return p
}

// MenuNode is one dbusmenu entry.
type MenuNode struct {
	ID          int32
	Label       string
	Visible     bool // "visible" absent means true
	Enabled     bool // "enabled" absent means true
	Separator   bool
	ToggleType  string
	ToggleState int32
	Children    []MenuNode
}

// Layout is the root of a menu as GetLayout returns it.
type Layout struct {
	Revision uint32
	Root     MenuNode
}

// Items lists the root's entries.
func (l Layout) Items() []MenuNode { return l.Root.Children }

// Find returns the first entry with this label, or nil.
func (l Layout) Find(label string) *MenuNode {
	for i := range l.Root.Children {
		if l.Root.Children[i].Label == label {
			return &l.Root.Children[i]
		}
	}
	return nil
}

// VisibleLabels lists the labels a user would see, in order (separators
// as "---").
func (l Layout) VisibleLabels() []string {
	var out []string
	for _, n := range l.Root.Children {
		switch {
		case !n.Visible:
		case n.Separator:
			out = append(out, "---")
		default:
			out = append(out, n.Label)
		}
	}
	return out
}

// Shows reports whether a visible entry has this label.
func (l Layout) Shows(label string) bool {
	n := l.Find(label)
	return n != nil && n.Visible
}

// String renders the visible menu on one line, for failure messages.
func (l Layout) String() string { return strings.Join(l.VisibleLabels(), " | ") }

// GetLayout reads the whole menu through com.canonical.dbusmenu.GetLayout.
func (it *Item) GetLayout(t testing.TB) Layout {
	t.Helper()
	l, err := it.getLayout()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (it *Item) getLayout() (Layout, error) {
	var rev uint32
	var raw struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := it.conn.Object(it.Dest, it.MenuPath).Call(MenuIface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&rev, &raw); err != nil {
		return Layout{}, fmt.Errorf("get menu layout: %w", err)
	}
	root, err := parseNode(raw.ID, raw.Props, raw.Children)
	if err != nil {
		return Layout{}, err
	}
	return Layout{Revision: rev, Root: root}, nil
}

// parseNode decodes one (ia{sv}av) layout entry and its children.
func parseNode(id int32, props map[string]dbus.Variant, children []dbus.Variant) (MenuNode, error) {
	n := MenuNode{ID: id, Visible: true, Enabled: true}
	for k, v := range props {
		switch k {
		case "label":
			n.Label, _ = v.Value().(string)
		case "visible":
			n.Visible, _ = v.Value().(bool)
		case "enabled":
			n.Enabled, _ = v.Value().(bool)
		case "type":
			s, _ := v.Value().(string)
			n.Separator = s == "separator"
		case "toggle-type":
			n.ToggleType, _ = v.Value().(string)
		case "toggle-state":
			n.ToggleState, _ = v.Value().(int32)
		}
	}
	for _, c := range children {
		fields, ok := c.Value().([]any)
		if !ok || len(fields) != 3 {
			return n, fmt.Errorf("menu entry %d: child is %T, want (ia{sv}av)", id, c.Value())
		}
		cid, _ := fields[0].(int32)
		cprops, _ := fields[1].(map[string]dbus.Variant)
		ckids, _ := fields[2].([]dbus.Variant)
		child, err := parseNode(cid, cprops, ckids)
		if err != nil {
			return n, err
		}
		n.Children = append(n.Children, child)
	}
	return n, nil
}

// WaitMenu re-reads the menu on every layout or property signal (and every
// 200 ms as a fallback) until cond holds, and fails the test after the
// deadline with the last menu seen.
func (it *Item) WaitMenu(t testing.TB, what string, cond func(Layout) bool) Layout {
	t.Helper()
	signals := make(chan *dbus.Signal, 16)
	it.conn.Signal(signals)
	defer it.conn.RemoveSignal(signals)
	if err := it.conn.AddMatchSignal(dbus.WithMatchSender(it.Dest), dbus.WithMatchInterface(MenuIface)); err != nil {
		t.Fatalf("watch menu signals: %v", err)
	}
	defer func() {
		_ = it.conn.RemoveMatchSignal(dbus.WithMatchSender(it.Dest), dbus.WithMatchInterface(MenuIface))
	}()
	deadline := time.NewTimer(waitDeadline)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last Layout
	var lastErr error
	for {
		if l, err := it.getLayout(); err == nil {
			last, lastErr = l, nil
			if cond(l) {
				return l
			}
		} else {
			lastErr = err
		}
		select {
		case <-signals:
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("menu never showed %s within %s; last menu: %s (err %v)", what, waitDeadline, last, lastErr)
		}
	}
}

// WaitLabels waits until the visible menu is exactly want (separators as
// "---"). systray updates entries one at a time, so a menu read right after
// one expected label appeared may still be half old; compare whole menus
// with this rather than after waiting for one label.
func (it *Item) WaitLabels(t testing.TB, want ...string) Layout {
	t.Helper()
	return it.WaitMenu(t, "the menu "+strings.Join(want, " | "), func(l Layout) bool {
		return slices.Equal(l.VisibleLabels(), want)
	})
}

// WaitProps re-reads the item's properties until cond holds.
func (it *Item) WaitProps(t testing.TB, what string, cond func(ItemProps) bool) ItemProps {
	t.Helper()
	deadline := time.NewTimer(waitDeadline)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		p := it.Props(t)
		if cond(p) {
			return p
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("item never showed %s within %s; last: title %q tooltip %q icon %dx%d", what, waitDeadline, p.Title, p.Tooltip, p.IconW, p.IconH)
		}
	}
}

// Click sends the dbusmenu "clicked" event a host sends when the user
// picks an entry.
func (it *Item) Click(t testing.TB, id int32) {
	t.Helper()
	if err := it.Event(id, "clicked"); err != nil {
		t.Fatal(err)
	}
}

// Event sends a com.canonical.dbusmenu event to entry id: "clicked", or
// "opened"/"closed" on the root (id 0) when a host shows or hides the menu.
func (it *Item) Event(id int32, eventID string) error {
	call := it.conn.Object(it.Dest, it.MenuPath).Call(MenuIface+".Event", 0,
		id, eventID, dbus.MakeVariant(int32(0)), uint32(0))
	if call.Err != nil {
		return fmt.Errorf("send menu event %q to entry %d: %w", eventID, id, call.Err)
	}
	return nil
}

// ClickLabel clicks the visible entry with this label.
func (it *Item) ClickLabel(t testing.TB, l Layout, label string) {
	t.Helper()
	n := l.Find(label)
	if n == nil || !n.Visible {
		t.Fatalf("no visible menu entry %q in %s", label, l)
	}
	it.Click(t, n.ID)
}
