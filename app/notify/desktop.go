package notify

// DesktopSender shows alerts through the OS and holds a connection (a bus,
// a COM apartment) that the app closes at exit.
type DesktopSender interface {
	Sender
	Close() error
}
