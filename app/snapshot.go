package app

import (
	"context"

	"github.com/milady-ai/milady-cloud/app/notify"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Snapshot returns the whole observable state, numbered after every
// snapshot taken before it.
func (s *Service) Snapshot() Snapshot {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// snapshotLocked takes the next numbered snapshot. The caller holds pubMu
// (so the number order is the delivery order) and mu.
func (s *Service) snapshotLocked() Snapshot {
	s.seq++
	snap := Snapshot{
		Seq:             s.seq,
		Version:         s.opts.Version,
		Sim:             s.opts.Sim,
		BaseURL:         s.baseURL,
		LoggedIn:        s.apiKey != "",
		KeyPrefix:       s.keyPrefix,
		Connection:      s.conn,
		Credits:         s.credits,
		Login:           s.login,
		LastAgentID:     s.lastAgentID,
		LastAgentName:   s.lastAgentName,
		ConfigError:     s.configErr,
		Desktop:         s.window != nil,
		TrayAvailable:   s.trayAvailable,
		NoticeCount:     s.notices,
		LastNotice:      s.lastNotice,
		IdentityChecked: s.identityTried,
		Settings: SettingsView{
			BaseURL:       s.baseURL,
			Notifications: s.settings.Notifications,
			ConfigPath:    s.cfg.Path(),
		},
	}
	if s.opts.Autostart != nil {
		snap.Settings.StartAtLogin = s.opts.Autostart.Enabled()
	}
	if s.identity != nil && s.identityOK {
		snap.UserID = s.identity.UserID
		snap.UserEmail = s.identity.Email
		snap.OrganizationID = s.identity.OrganizationID
	}
	if s.conn.AgentID != "" && s.conn.AgentName != "" {
		snap.LastAgentName = s.conn.AgentName
	}
	return snap
}

// Subscribe returns a subscription whose first event is the snapshot. It
// takes the publish lock so no event published meanwhile comes before it or
// carries an older number.
func (s *Service) Subscribe() Subscription {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.mu.Unlock()
	return s.hub.subscribe(Event{Type: EventSnapshot, Data: snap, Snapshot: snap})
}

// publish sends an event with the current snapshot attached. The publish
// lock spans taking the snapshot and queueing it for every subscriber:
// released in between, two publishers could deliver in the opposite order
// to the one they took their snapshots in, and a face would render the
// older state last.
func (s *Service) publish(typ string, data any) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.mu.Unlock()
	if data == nil {
		data = snap
	}
	s.hub.publish(Event{Type: typ, Data: data, Snapshot: snap})
}

// onManagerEvent receives the manager's events synchronously and in order.
// It must not block and must not call back into the manager.
func (s *Service) onManagerEvent(ev cloud.Event) {
	s.pubMu.Lock()
	s.mu.Lock()
	prev := s.conn
	s.conn = ev.State
	if ev.State.AgentName != "" {
		s.lastAgentName = ev.State.AgentName
	}
	userAction := s.userAction > 0
	snap := s.snapshotLocked()
	s.mu.Unlock()
	switch ev.Kind {
	case cloud.EventState:
		s.hub.publish(Event{Type: EventState, Data: snap, Snapshot: snap})
	case cloud.EventHeartbeat:
		at := s.clk.Now()
		if ev.State.LastHeartbeatAt != nil {
			at = *ev.State.LastHeartbeatAt
		}
		s.hub.publish(Event{Type: EventHeartbeat, Data: HeartbeatEvent{AgentID: ev.State.AgentID, At: at}, Snapshot: snap})
	case cloud.EventBackup:
		if b := ev.Backup; b != nil {
			s.hub.publish(Event{Type: EventBackup, Data: BackupEvent{AgentID: b.AgentID, OK: b.OK, BackupID: b.BackupID, Error: b.Error}, Snapshot: snap})
		}
	}
	s.pubMu.Unlock()

	switch ev.Kind {
	case cloud.EventState:
		st := ev.State
		s.record(func(ctx context.Context) {
			_ = s.db.AddConnectionEvent(ctx, st.Since, st.AgentID, string(st.State), st.LastError)
		})
		if prev.State != ev.State.State {
			s.observePolicy(userAction)
		}
	case cloud.EventBackup:
		if b := ev.Backup; b != nil {
			rec := *b
			s.record(func(ctx context.Context) {
				_ = s.db.AddBackup(ctx, backupRecord(rec))
			})
			if !b.OK {
				s.notice(Notice{Kind: "backup", Level: "warning", Message: "Backup of your agent failed: " + b.Error}, false)
			}
		}
	}
}

// observePolicy runs the notification policy on the current state and
// delivers what it says (R-NOTIFY).
func (s *Service) observePolicy(userAction bool) {
	s.mu.Lock()
	next := notify.Input{
		LoggedIn:   s.apiKey != "",
		HasBalance: s.credits.Balance != nil,
		ConnState:  string(s.conn.State),
		AgentName:  s.conn.AgentName,
		UserAction: userAction,
	}
	if next.AgentName == "" {
		next.AgentName = s.lastAgentName
	}
	if s.credits.Balance != nil {
		next.Balance = *s.credits.Balance
	}
	prev := s.policyIn
	s.policyIn = next
	alerts := s.policy.Observe(prev, next)
	enabled := s.settings.Notifications
	s.mu.Unlock()
	for _, a := range alerts {
		level := "warning"
		if a.Urgency >= 2 {
			level = "critical"
		}
		s.notice(Notice{Kind: a.Kind, Level: level, Message: a.Body}, false)
		if enabled {
			select {
			case s.sendq <- a:
			default:
			}
		}
	}
}

// notice records and publishes a user-facing message.
func (s *Service) notice(n Notice, _ bool) {
	if n.At.IsZero() {
		n.At = s.clk.Now()
	}
	s.mu.Lock()
	s.notices++
	nn := n
	s.lastNotice = &nn
	s.mu.Unlock()
	s.publish(EventNotice, n)
}
