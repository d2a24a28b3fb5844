package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogRotates: more than 5 MiB of log lines roll milady-cloud.log over
// into a backup, every file is 0600 (the log names the user's paths and
// agents), and at most 3 backups are kept.
func TestLogRotates(t *testing.T) {
	dir := t.TempDir()
	// A log file left by an older version, world-readable.
	if err := os.WriteFile(filepath.Join(dir, logFileName), []byte("old line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logger, closeLog := newLogger(dir, io.Discard)
	line := strings.Repeat("x", 1000)
	for range 6 * 1024 { // ~6.5 MiB with the record's own fields
		logger.Info(line)
	}
	closeLog()

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var backups int
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
		if fi.Size() > logMaxMiB<<20 {
			t.Errorf("%s is %d bytes, over %d MiB", e.Name(), fi.Size(), logMaxMiB)
		}
		if e.Name() != logFileName && strings.HasPrefix(e.Name(), "milady-cloud-") && strings.HasSuffix(e.Name(), ".log") {
			backups++
		}
	}
	if backups != 1 {
		t.Fatalf("after ~6.5 MiB of log: %d backups in %v, want 1", backups, entries)
	}
	if f := newLogFile(dir); f.MaxSize != 5 || f.MaxBackups != 3 || f.Filename != filepath.Join(dir, logFileName) {
		t.Fatalf("log options = %+v, want 5 MiB × 3 backups", f)
	}
}
