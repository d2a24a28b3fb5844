package tray

import (
	"log"
	"log/slog"
	"strings"
)

// stdlogBridge receives what fyne.io/systray prints with the standard log
// package ("systray error: failed to register: … StatusNotifierWatcher …")
// and says it in the app's log, in words: the raw line on stderr reads like
// a crash to a user whose desktop simply has no tray host.
type stdlogBridge struct{ log *slog.Logger }

func (b stdlogBridge) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	rest, fromSystray := strings.CutPrefix(msg, "systray error: ")
	switch {
	case fromSystray && (strings.Contains(rest, "StatusNotifierWatcher") || strings.HasPrefix(rest, "failed to register")):
		b.log.Info("tray: no tray host on this desktop yet; the icon appears when one starts", "detail", rest)
	case fromSystray:
		b.log.Warn("tray: "+rest, "source", "systray")
	default:
		b.log.Warn(msg, "source", "log")
	}
	return len(p), nil
}

// routeStdlog sends the standard logger to the app's log. systray is a
// process-wide singleton that logs through the process-wide standard
// logger, so this is set once, when the tray starts.
func routeStdlog(l *slog.Logger) {
	log.SetFlags(0)
	log.SetOutput(stdlogBridge{log: l})
}
