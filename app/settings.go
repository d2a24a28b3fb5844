package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/milady-ai/milady-cloud/app/config"
)

// settings is the part of the state backed by milady.json and the
// autostart entry. configErr is set once in New and never changes, so it
// is read without the lock.
type settings struct {
	mu        sync.Mutex
	cur       config.Settings
	configErr string // the config file could not be read: nothing is saved
	path      string
	autostart Autostart
}

func (p *settings) init(cfg *config.Store, a Autostart) {
	p.cur, p.path, p.autostart = cfg.Settings(), cfg.Path(), a
	if err := cfg.Err(); err != nil {
		p.configErr = err.Error()
	}
}

func (p *settings) get() config.Settings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// reload takes the settings the config store now holds.
func (p *settings) reload(cfg *config.Store) {
	st := cfg.Settings()
	p.mu.Lock()
	p.cur = st
	p.mu.Unlock()
}

func (p *settings) fill(snap *Snapshot) {
	p.mu.Lock()
	snap.Settings.Notifications = p.cur.Notifications
	snap.Settings.BackupSkipWhenIdle = p.cur.BackupSkipWhenIdle
	p.mu.Unlock()
	snap.ConfigError = p.configErr
	snap.Settings.ConfigPath = p.path
	if p.autostart != nil {
		snap.Settings.StartAtLogin = p.autostart.Enabled()
	}
}

// SetNotifications turns desktop notifications on or off.
func (s *Service) SetNotifications(_ context.Context, on bool) error {
	return s.saveSetting("notifications setting", s.cfg.SetNotifications, on)
}

// SetBackupSkipWhenIdle saves cloud.backup.skipWhenIdle. The connection
// manager's schedule is fixed when the app starts, so the change applies
// from the next start; the setting shown is the saved one.
func (s *Service) SetBackupSkipWhenIdle(_ context.Context, on bool) error {
	return s.saveSetting("backup setting", s.cfg.SetBackupSkipWhenIdle, on)
}

// saveSetting saves one toggle of the config file with save, then shows
// the saved settings. A config file that could not be read is never
// written, so nothing is saved then.
func (s *Service) saveSetting(what string, save func(on bool) error, on bool) error {
	if s.settings.configErr != "" {
		return &Error{Kind: KindConflict, Message: "The config file cannot be read, so settings cannot be saved: " + s.settings.configErr}
	}
	if err := save(on); err != nil {
		return fmt.Errorf("save %s: %w", what, err)
	}
	s.settings.reload(s.cfg)
	s.publishSettings()
	return nil
}

// SetStartAtLogin writes or removes the autostart entry.
func (s *Service) SetStartAtLogin(_ context.Context, on bool) error {
	a := s.settings.autostart
	if a == nil {
		return errors.New("start at login is not available on this system")
	}
	var err error
	if on {
		err = a.Enable()
	} else {
		err = a.Disable()
	}
	if err != nil {
		return fmt.Errorf("change start at login: %w", err)
	}
	s.publishSettings()
	return nil
}

// publishSettings announces the settings as they are now.
func (s *Service) publishSettings() {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	snap := s.takeSnapshot()
	s.hub.publish(Event{Type: EventSettings, Data: snap.Settings, Snapshot: snap})
}
