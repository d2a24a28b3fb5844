// Package config reads and writes milady.json, the configuration file this
// app shares with Milady.
//
// The file holds Milady's whole configuration, so every write is a patch:
// only the keys this app owns change, everything else (keys, comments,
// layout) is kept, the write is atomic and a file that cannot be parsed is
// never written at all.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// ErrUnparseable is the error (via errors.Is) of every write to a store whose
// file could not be read or parsed: overwriting it would lose the user's
// configuration.
var ErrUnparseable = errors.New("config file cannot be parsed")

// ParseError names the file that could not be read or parsed and why. It is
// shown to the user, who has to fix or remove the file.
type ParseError struct {
	Path string
	Err  error
}

// Error names the path so the user knows which file to fix.
func (e *ParseError) Error() string {
	return fmt.Sprintf("cannot use config file %s: %v (fix or remove it; it will not be overwritten)", e.Path, e.Err)
}

// Unwrap makes errors.Is(err, ErrUnparseable) hold, and exposes the cause.
func (e *ParseError) Unwrap() []error { return []error{ErrUnparseable, e.Err} }

// Store is milady.json on disk. It is safe for concurrent use; writes from
// several goroutines are serialised and each one starts from the file as it
// is on disk, so edits made by Milady in between are kept.
type Store struct {
	path string
	log  *slog.Logger

	mu       sync.Mutex
	doc      *document // last good load; nil while the file is unparseable
	err      error     // *ParseError from the last load, or nil
	settings Settings

	// beforeWrite, when set by a test, runs just before the new file is
	// written: the crash test uses it to aim kills at the write itself.
	beforeWrite func()
}

// Open loads the file at path. A missing file is an empty configuration. A
// file that cannot be read or parsed is not an error of Open: the store
// comes back in broken mode, Err reports the path and the reason, Settings
// returns the defaults (so the app runs logged out) and every write fails
// with ErrUnparseable, leaving the file untouched.
func Open(path string, log *slog.Logger) (*Store, error) {
	if path == "" {
		return nil, errors.New("open config: empty path")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	s := &Store{path: abs, log: log}
	removeStaleTemps(abs, log)
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		removeStaleTemps(real, log) // a linked file's temps sit beside its target
	}
	if err := s.Reload(); err != nil {
		log.Warn("config file unusable; running logged out and never writing it",
			"path", abs, "error", err)
	}
	return s, nil
}

// Path is the file this store reads and writes.
func (s *Store) Path() string { return s.path }

// Err is the reason the file is unusable (a *ParseError naming the path), or
// nil when the last load succeeded.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Settings returns the typed view of the last successful load, with the
// defaults for missing keys (all defaults in broken mode).
func (s *Store) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// Reload reads the file again, e.g. after Milady changed it. On failure the
// store switches to broken mode and returns the *ParseError; a later
// successful Reload (the user fixed the file) leaves broken mode.
func (s *Store) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked()
}

func (s *Store) loadLocked() error {
	raw, err := readConfigFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		raw, err = nil, nil
	}
	var doc *document
	if err == nil {
		doc, err = parseDocument(raw)
	}
	if err != nil {
		s.doc, s.err = nil, &ParseError{Path: s.path, Err: err}
		s.settings = settingsFrom(nil)
		return s.err
	}
	s.doc, s.err = doc, nil
	s.settings = settingsFrom(doc.tree)
	return nil
}

// Update re-reads the file, lets fn describe changes on a Patch, and writes
// the result atomically. Nothing is written when fn makes no change that
// alters the file. It fails with ErrUnparseable (and writes nothing) while
// the file on disk cannot be parsed. If the file used JSON5-only syntax that
// the rewrite cannot keep, a one-time copy milady.json.bak is made first.
func (s *Store) Update(fn func(p *Patch)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	var p Patch
	fn(&p)
	if p.err != nil {
		return fmt.Errorf("update config: %w", p.err)
	}
	if len(p.ops) == 0 {
		return nil
	}
	out, lossy, err := applyPatch(s.doc, p.ops)
	if err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	if s.doc.raw != nil && bytes.Equal(out, s.doc.raw) {
		return nil
	}
	target := s.writeTarget()
	if (s.doc.json5 || lossy) && len(bytes.TrimSpace(s.doc.raw)) > 0 {
		created, err := writeBackupOnce(target+".bak", s.doc.raw)
		if err != nil {
			return fmt.Errorf("update config: %w", err)
		}
		if created {
			s.log.Info("config uses syntax the rewrite cannot keep; saved the original",
				"backup", target+".bak")
		}
	}
	if lossy {
		s.log.Warn("config layout could not be kept; rewrote it as plain JSON", "path", s.path)
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	if err := writeFileAtomic(target, out, 0o600); err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	doc, err := parseDocument(out)
	if err != nil { // cannot happen: applyPatch checked it
		return fmt.Errorf("update config: reparse written file: %w", err)
	}
	s.doc, s.err = doc, nil
	s.settings = settingsFrom(doc.tree)
	return nil
}

// writeTarget follows a symlinked milady.json (dotfile managers do that) so
// the rename replaces the real file, not the link.
func (s *Store) writeTarget() string {
	if fi, err := os.Lstat(s.path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(s.path); err == nil {
			return real
		}
	}
	return s.path
}

// SetCloudLogin saves a successful login (cloud.enabled=true, cloud.apiKey).
func (s *Store) SetCloudLogin(key string) error {
	return s.Update(func(p *Patch) { p.SetCloudLogin(key) })
}

// ClearCloudLogin saves a log-out: cloud.enabled=false, cloud.apiKey removed.
func (s *Store) ClearCloudLogin() error {
	return s.Update(func(p *Patch) { p.ClearCloudLogin() })
}

// SetLastAgent saves desktop.lastAgentId ("" removes it).
func (s *Store) SetLastAgent(id string) error {
	return s.Update(func(p *Patch) { p.SetLastAgent(id) })
}

// SetWasConnected saves desktop.wasConnected.
func (s *Store) SetWasConnected(connected bool) error {
	return s.Update(func(p *Patch) { p.SetWasConnected(connected) })
}

// SetBackupSkipWhenIdle saves cloud.backup.skipWhenIdle.
func (s *Store) SetBackupSkipWhenIdle(on bool) error {
	return s.Update(func(p *Patch) { p.SetBackupSkipWhenIdle(on) })
}

// SetNotifications saves desktop.notifications.
func (s *Store) SetNotifications(on bool) error {
	return s.Update(func(p *Patch) { p.SetNotifications(on) })
}
