package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Log rotation: the log grows with every request and event, and a long-
// running tray app would otherwise fill the disk. lumberjack renames the
// full file to milady-cloud-<time>.log and keeps the newest few.
const (
	logFileName   = "milady-cloud.log"
	logMaxMiB     = 5
	logMaxBackups = 3
)

// newLogFile is the rotating log in dir. lumberjack creates files 0600 and
// gives backups the mode of the file they came from; an existing file made
// by an older version is tightened here, since the log names the paths and
// agents of this user.
func newLogFile(dir string) *lumberjack.Logger {
	name := filepath.Join(dir, logFileName)
	if fi, err := os.Lstat(name); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
		_ = os.Chmod(name, 0o600)
	}
	return &lumberjack.Logger{
		Filename:   name,
		MaxSize:    logMaxMiB,
		MaxBackups: logMaxBackups,
		LocalTime:  false,
	}
}

// newLogger logs to stderr and to the rotating milady-cloud.log in the
// state folder. MILADY_DEBUG=1 adds debug lines.
func newLogger(dir string, stderr io.Writer) (*slog.Logger, func()) {
	f := newLogFile(dir)
	level := slog.LevelInfo
	if os.Getenv("MILADY_DEBUG") == "1" {
		level = slog.LevelDebug
	}
	l := slog.New(slog.NewTextHandler(io.MultiWriter(stderr, f), &slog.HandlerOptions{Level: level}))
	return l, func() { _ = f.Close() }
}
