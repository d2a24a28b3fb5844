package desktop

import (
	"context"
	"log/slog"
)

// wailsLogger routes Wails' own log lines into the app's slog logger, so
// they share its format and destination instead of going to stdout.
// It satisfies github.com/wailsapp/wails/v2/pkg/logger.Logger.
type wailsLogger struct{ log *slog.Logger }

func (l wailsLogger) out(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg, "source", "wails")
}

// Print logs at Info.
func (l wailsLogger) Print(msg string) { l.out(slog.LevelInfo, msg) }

// Trace logs at Debug; slog has no lower level that handlers know.
func (l wailsLogger) Trace(msg string) { l.out(slog.LevelDebug, msg) }

// Debug logs at Debug.
func (l wailsLogger) Debug(msg string) { l.out(slog.LevelDebug, msg) }

// Info logs at Info.
func (l wailsLogger) Info(msg string) { l.out(slog.LevelInfo, msg) }

// Warning logs at Warn.
func (l wailsLogger) Warning(msg string) { l.out(slog.LevelWarn, msg) }

// Error logs at Error.
func (l wailsLogger) Error(msg string) { l.out(slog.LevelError, msg) }

// Fatal logs at Error; Wails itself exits right after calling it.
func (l wailsLogger) Fatal(msg string) { l.out(slog.LevelError, "fatal: "+msg) }
