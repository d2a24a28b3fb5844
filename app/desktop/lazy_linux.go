package desktop

// lazyStart is true on Linux: the tray and notifications speak D-Bus and
// need no GTK main loop, so the window can wait until it is first opened.
const lazyStart = true
