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

	"github.com/milady-ai/milady-cloud/scripts/window/sni"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: trayclick SENDER SERVICE LABEL")
		os.Exit(2)
	}
	id, err := sni.Click(os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "trayclick:", err)
		os.Exit(1)
	}
	fmt.Printf("clicked %d %s\n", id, os.Args[3])
}
