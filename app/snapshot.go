package app

import (
	"context"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Snapshot returns the whole observable state, numbered after every
// snapshot taken before it.
func (s *Service) Snapshot() Snapshot {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	return s.takeSnapshot()
}

// takeSnapshot takes the next numbered snapshot from every part. The
// caller holds pubMu, so the number order is the delivery order.
func (s *Service) takeSnapshot() Snapshot {
	s.seq++
	snap := Snapshot{Seq: s.seq, Version: s.opts.Version, Sim: s.opts.Sim}
	s.sess.fill(&snap)
	s.conn.fill(&snap)
	s.credits.fill(&snap)
	s.login.fill(&snap)
	s.settings.fill(&snap)
	s.shell.fill(&snap)
	s.notices.fill(&snap)
	snap.KeyRejected = snap.LoggedIn && snap.Connection.KeyRejected
	return snap
}

// Subscribe returns a subscription whose first event is the snapshot. It
// takes the publish lock so no event published meanwhile comes before it or
// carries an older number.
func (s *Service) Subscribe() Subscription {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	snap := s.takeSnapshot()
	return s.hub.subscribe(Event{Type: EventSnapshot, Data: snap, Snapshot: snap})
}

// publish sends an event with the current snapshot attached (data nil: the
// snapshot is the data). The publish lock spans taking the snapshot and
// queueing it for every subscriber: released in between, two publishers
// could deliver in the opposite order to the one they took their snapshots
// in, and a face would render the older state last.
func (s *Service) publish(typ string, data any) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	snap := s.takeSnapshot()
	if data == nil {
		data = snap
	}
	s.hub.publish(Event{Type: typ, Data: data, Snapshot: snap})
}

// onManagerEvent receives the manager's events synchronously and in order.
// It must not block and must not call back into the manager.
func (s *Service) onManagerEvent(ev cloud.Event) {
	s.pubMu.Lock()
	prev, userAction := s.conn.apply(ev.State)
	snap := s.takeSnapshot()
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
	case cloud.EventProgress, cloud.EventRecovery:
		// Not a transition, but what the faces show while connecting
		// (snapshot.connection.progress / .recovery).
		s.hub.publish(Event{Type: EventSnapshot, Data: snap, Snapshot: snap})
	}
	s.pubMu.Unlock()

	switch ev.Kind {
	case cloud.EventState:
		st := ev.State
		s.history.record(func(ctx context.Context) {
			_ = s.db.AddConnectionEvent(ctx, st.Since, st.AgentID, string(st.State), st.LastError)
		})
		if prev.State != ev.State.State {
			s.observePolicy(userAction)
		}
	case cloud.EventBackup:
		if b := ev.Backup; b != nil {
			rec := backupRecord(*b)
			s.history.record(func(ctx context.Context) { _ = s.db.AddBackup(ctx, rec) })
			if !b.OK {
				s.notice(Notice{Kind: "backup", Level: "warning", Message: "Backup of your agent failed: " + b.Error})
			}
		}
	case cloud.EventRecovery:
		if r := ev.State.Recovery; r != nil && r.Message != "" {
			s.notice(Notice{Kind: "connection", Level: "warning", Message: r.Message})
		}
	case cloud.EventKeyRejected:
		s.keyRejected()
	}
}
