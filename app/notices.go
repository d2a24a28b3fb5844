package app

import (
	"sync"

	"github.com/milady-ai/milady-cloud/app/notify"
)

// notices is the notification part: the edge-triggered policy and the
// input it last saw, the last user-facing notice and how many there were,
// and the queue to the notification sender.
//
// observeMu serialises whole observations (read the state, run the policy,
// deliver): two observations interleaving could hand the policy an older
// state after a newer one, and it would alert on a change that did not
// happen. mu guards the rest and is a leaf.
type notices struct {
	observeMu sync.Mutex
	policy    *notify.Policy
	in        notify.Input // under observeMu

	mu    sync.Mutex
	last  *Notice
	count int

	sendq chan notify.Alert
}

func newNotices() notices {
	return notices{policy: notify.NewPolicy(), sendq: make(chan notify.Alert, 32)}
}

func (p *notices) add(n Notice) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.last = &n
}

func (p *notices) fill(snap *Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap.NoticeCount, snap.LastNotice = p.count, p.last
}

// observePolicy runs the notification policy on the current state and
// delivers what it says: a notice on the stream always, a desktop
// notification when the user allows them.
func (s *Service) observePolicy(userAction bool) {
	s.notices.observeMu.Lock()
	defer s.notices.observeMu.Unlock()
	conn := s.conn.state()
	_, lastName := s.conn.lastAgent()
	balance := s.credits.balance()
	next := notify.Input{
		LoggedIn:   s.sess.loggedIn(),
		HasBalance: balance != nil,
		ConnState:  string(conn.State),
		AgentName:  conn.AgentName,
		// A refused key has its own notification (keyRejected); the
		// session it ended is not a lost connection.
		UserAction: userAction || conn.KeyRejected,
	}
	if next.AgentName == "" {
		next.AgentName = lastName
	}
	if balance != nil {
		next.Balance = *balance
	}
	prev := s.notices.in
	s.notices.in = next
	alerts := s.notices.policy.Observe(prev, next)
	enabled := s.settings.get().Notifications
	for _, a := range alerts {
		level := "warning"
		if a.Urgency >= 2 {
			level = "critical"
		}
		s.notice(Notice{Kind: a.Kind, Level: level, Message: a.Body})
		if enabled {
			select {
			case s.notices.sendq <- a:
			default:
			}
		}
	}
}

// KeyRejectedNotice is the one notice and desktop notification of a
// refused key: what happened and what to do.
const KeyRejectedNotice = "Your Eliza Cloud key was rejected (revoked or expired). Log in again."

// keyRejected tells the user, once per refused key (the manager reports it
// once), that the key was refused and they must log in again.
func (s *Service) keyRejected() {
	s.notice(Notice{Kind: "connection", Level: "critical", Message: KeyRejectedNotice})
	if !s.settings.get().Notifications {
		return
	}
	a := notify.Alert{
		Kind: notify.KindConnection, ID: notify.KindConnection, Level: "critical", Urgency: notify.UrgencyCritical,
		Title: "Log in to Eliza Cloud again", Body: KeyRejectedNotice,
	}
	select {
	case s.notices.sendq <- a:
	default:
	}
}

// notice records and publishes a user-facing message.
func (s *Service) notice(n Notice) {
	if n.At.IsZero() {
		n.At = s.clk.Now()
	}
	s.notices.add(n)
	s.publish(EventNotice, n)
}

// sendWorker delivers notifications one at a time, off every caller's path.
func (s *Service) sendWorker() {
	for {
		select {
		case a := <-s.notices.sendq:
			if err := s.opts.Notifier.Send(a); err != nil {
				s.log.Warn("notification not delivered", "err", err)
			}
		case <-s.ctx.Done():
			return
		}
	}
}
