package app

import (
	"context"
	"errors"
	"strings"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Status answers GET /api/cloud/status with Milady's reason semantics: the
// "runtime" is this app's cloud session, started once the first identity
// check has run.
func (s *Service) Status(_ context.Context) StatusView {
	s.mu.Lock()
	defer s.mu.Unlock()
	hasKey := s.apiKey != ""
	v := StatusView{
		Connected:  hasKey,
		HasAPIKey:  hasKey,
		Connection: s.conn,
	}
	en := s.settings.Enabled
	v.Enabled = (en != nil && *en) || (hasKey && (en == nil || *en))
	switch {
	case !hasKey && !s.started:
		v.Reason = "runtime_not_started"
	case !hasKey:
		v.Reason = "not_authenticated"
	case !s.identityTried:
		v.Reason = "api_key_present_runtime_not_started"
	case !s.identityOK:
		v.Reason = "api_key_present_not_authenticated"
	default:
		uid, oid := s.identity.UserID, s.identity.OrganizationID
		v.UserID, v.OrganizationID = &uid, &oid
	}
	if hasKey {
		v.TopUpURL = s.topUpURL()
	}
	return v
}

// ShowWindow shows and focuses the window; false when headless.
func (s *Service) ShowWindow() bool {
	s.mu.Lock()
	w := s.window
	s.mu.Unlock()
	if w == nil {
		return false
	}
	w.Show()
	return true
}

// SetNotifications turns desktop notifications on or off.
func (s *Service) SetNotifications(_ context.Context, on bool) error {
	if s.configErr != "" {
		return &Error{Status: 409, Message: "The config file cannot be read, so settings cannot be saved: " + s.configErr}
	}
	if err := s.cfg.SetNotifications(on); err != nil {
		return s.errf("save notifications setting: %w", err)
	}
	s.mu.Lock()
	s.settings = s.cfg.Settings()
	s.mu.Unlock()
	s.publishSettings()
	return nil
}

// SetStartAtLogin writes or removes the autostart entry.
func (s *Service) SetStartAtLogin(_ context.Context, on bool) error {
	a := s.opts.Autostart
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
		return s.errf("change start at login: %w", err)
	}
	s.publishSettings()
	return nil
}

func (s *Service) publishSettings() {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.mu.Unlock()
	s.hub.publish(Event{Type: EventSettings, Data: snap.Settings, Snapshot: snap})
}

// simTopUpPath is the simulator's own billing page, at the same path as
// the real cloud's.
const simTopUpPath = "/dashboard/settings?tab=billing"

// topUpURL is where Top up leads: the real billing page, or under --sim the
// simulator's, so a test run never sends anyone to the real cloud's.
func (s *Service) topUpURL() string {
	if s.opts.Sim && s.opts.BaseURL != "" {
		return strings.TrimRight(s.opts.BaseURL, "/") + simTopUpPath
	}
	return cloud.TopUpURL
}

// OpenTopUp opens the billing page in the browser.
func (s *Service) OpenTopUp() error {
	u := s.topUpURL()
	if s.opts.Opener == nil {
		return errors.New("no browser available: open " + u)
	}
	return s.opts.Opener.Open(u)
}

// Quit asks the app to shut down gracefully.
func (s *Service) Quit() {
	s.mu.Lock()
	q := s.quit
	s.mu.Unlock()
	if q != nil {
		go q()
	}
}

var _ Backend = (*Service)(nil)
