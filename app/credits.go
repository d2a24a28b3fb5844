package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Billing is the part of the Service that deals with credits: the
// balance, its history, buying more and what was spent; reach it with
// Service.Billing. Its state is the Service's creditsCache.
type Billing struct{ s *Service }

// Billing is the credits part of the Service.
func (s *Service) Billing() *Billing { return &s.billing }

// creditsCache is the balance part of the state: the last answer, the one
// upstream request concurrent readers share, and when a fresh read last
// went upstream. owner is the client whose balance the cache holds: an
// answer for any other client (the user logged out, or in again, while it
// was on its way) is dropped.
type creditsCache struct {
	mu        sync.Mutex
	view      CreditsView
	flight    *creditsFlight
	lastFresh time.Time
	owner     *cloud.Client
	started   uint64 // flights started so far
	applied   uint64 // number of the flight whose answer the view holds
}

// creditsFlight is one upstream balance request that concurrent callers
// share, so a thousand concurrent reads cost at most one upstream call.
//
// A fresh flight asks the cloud to bypass its own balance cache (up to 10
// minutes old, and not cleared by a payment); a fresh read never joins a
// plain one, which could come back with the cached balance. n orders the
// flights, so a plain answer that arrives after a fresh one started later
// cannot replace it.
type creditsFlight struct {
	done    chan struct{}
	fresh   bool
	n       uint64
	balance float64
	err     error
}

func (p *creditsCache) get() CreditsView {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view
}

func (p *creditsCache) balance() *float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view.Balance
}

func (p *creditsCache) fill(snap *Snapshot) { snap.Credits = p.get() }

func (p *creditsCache) setOwner(c *cloud.Client) {
	p.mu.Lock()
	p.owner = c
	p.mu.Unlock()
}

// reset forgets the balance (log-out).
func (p *creditsCache) reset(topUpURL string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.view, p.flight, p.owner = CreditsView{TopUpURL: topUpURL}, nil, nil
}

// cached decides whether a read may be answered from the cache: at most
// ttl old, or for a fresh read, a fresh read went upstream within gap. A
// fresh read that goes upstream is recorded.
func (p *creditsCache) cached(now time.Time, fresh bool, ttl, gap time.Duration) (CreditsView, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cv := p.view
	use := cv.UpdatedAt != nil && (cv.Balance != nil || cv.Error != "")
	if use {
		if fresh {
			use = now.Sub(p.lastFresh) < gap
		} else {
			use = now.Sub(*cv.UpdatedAt) < ttl
		}
	}
	if fresh && !use {
		p.lastFresh = now
	}
	return cv, use
}

// Credits answers GET /api/cloud/credits from a cache at most CreditsTTL old;
// fresh forces a fetch that bypasses the cloud's cache too (the Refresh
// button, window focus, after a top-up), at most one every FreshMinGap.
func (b *Billing) Credits(ctx context.Context, fresh bool) CreditsResponse {
	s := b.s
	if s.sess.keyed() == nil {
		return CreditsResponse{Connected: false}
	}
	cv, ok := s.credits.cached(s.clk.Now(), fresh, s.opts.CreditsTTL, s.opts.FreshMinGap)
	if !ok {
		s.fetchBalance(ctx, fresh)
		cv = s.credits.get()
	}
	return creditsResponse(cv)
}

func creditsResponse(cv CreditsView) CreditsResponse {
	r := CreditsResponse{Connected: true}
	if cv.Balance == nil {
		r.Error = cv.Error
		if r.Error == "" {
			r.Error = "Balance not available yet"
		}
		return r
	}
	b := *cv.Balance
	lvl := cloud.LevelFor(b)
	low, critical := lvl != cloud.CreditOK, lvl == cloud.CreditCritical
	r.Balance, r.Low, r.Critical, r.TopUpURL = &b, &low, &critical, cloud.TopUpURL
	return r
}

// refreshCredits fetches the balance once, sharing an in-flight request.
// It reads the cloud's cached balance: the background reads (poller, after
// chat) need no fresher one, and the cache spares the cloud.
func (s *Service) refreshCredits(ctx context.Context) { s.fetchBalance(ctx, false) }

// fetchBalance fetches the balance (fresh: bypassing the cloud's cache),
// sharing an in-flight request that is at least as fresh.
func (s *Service) fetchBalance(ctx context.Context, fresh bool) {
	c := s.sess.keyed()
	if c == nil {
		return
	}
	p := &s.credits
	p.mu.Lock()
	f := p.flight
	if f == nil || (fresh && !f.fresh) {
		p.started++
		f = &creditsFlight{done: make(chan struct{}), fresh: fresh, n: p.started}
		// spawn's lock is a leaf, so starting the fetch under p.mu is
		// allowed; the fetch itself takes p.mu only after this returns.
		if !s.spawn(func() { s.fetchCredits(c, f) }) {
			p.mu.Unlock()
			return // shutting down: the balance no longer matters
		}
		p.flight = f
	}
	p.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
	}
}

// fetchCredits runs detached from any one caller so a caller that gives up
// does not fail the others.
func (s *Service) fetchCredits(c *cloud.Client, f *creditsFlight) {
	ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
	defer cancel()
	if f.fresh {
		f.balance, f.err = c.FreshBalance(ctx)
	} else {
		f.balance, f.err = c.Balance(ctx)
	}
	now := s.clk.Now()
	cv := CreditsView{TopUpURL: s.topUpURL(), UpdatedAt: &now}
	if f.err != nil {
		cv.Error = f.err.Error()
		s.log.Warn("balance fetch failed", "err", f.err)
	} else {
		b := f.balance
		cv.Balance = &b
		lvl := cloud.LevelFor(b)
		cv.Level = string(lvl)
		cv.Low, cv.Critical = lvl != cloud.CreditOK, lvl == cloud.CreditCritical
	}
	p := &s.credits
	p.mu.Lock()
	if p.flight == f {
		p.flight = nil
	}
	// Logged out (or in again) meanwhile, or a later flight already
	// answered: drop this answer.
	if p.owner != c || f.n < p.applied {
		p.mu.Unlock()
		close(f.done)
		return
	}
	prev := p.view
	p.view, p.applied = cv, f.n
	p.mu.Unlock()
	s.observeKey(c, f.err)
	if f.err == nil {
		b := f.balance
		s.history.record(func(ctx context.Context) { _ = s.db.AddBalanceSample(ctx, now, b) })
	}
	changed := prev.Balance == nil || cv.Balance == nil || *prev.Balance != *cv.Balance || prev.Error != cv.Error
	if changed {
		s.publish(EventCredits, cv)
		s.observePolicy(false)
	}
	// Waiters are released only now, so Credits(fresh) returns after the
	// event and the notification policy have seen this balance. Released
	// earlier, the caller's next fetch could replace the cached balance
	// before observePolicy read it, and the policy never saw this balance:
	// a recovery that re-arms the low alert was lost, and the next fall
	// into low went unnotified.
	close(f.done)
}

// refreshCreditsSoon refreshes in the background after an action that costs
// credits (chat, provisioning), at most once every FreshMinGap so a busy chat
// does not turn into a balance request per message.
func (s *Service) refreshCreditsSoon() {
	p := &s.credits
	gap := s.opts.FreshMinGap
	p.mu.Lock()
	now := s.clk.Now()
	recent := p.view.UpdatedAt != nil && now.Sub(*p.view.UpdatedAt) < gap
	if !recent {
		recent = now.Sub(p.lastFresh) < gap
		p.lastFresh = now
	}
	p.mu.Unlock()
	if recent {
		return
	}
	s.spawn(func() { s.refreshCredits(s.ctx) })
}

// creditsPoller polls the balance every creditsPollIntervalMs while a key
// is present.
func (s *Service) creditsPoller() {
	every := ms(s.settings.get().CreditsPollIntervalMs)
	if every <= 0 {
		every = time.Minute
	}
	for {
		t := s.clk.NewTimer(every)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		// A refused key would only be refused again: wait for a new login.
		if s.sess.keyed() != nil && !s.conn.state().KeyRejected {
			s.refreshCredits(s.ctx)
		}
	}
}

// CreditHistory returns the stored balance samples for the chart.
func (b *Billing) CreditHistory(ctx context.Context) ([]BalanceSample, error) {
	s := b.s
	rows, err := s.db.BalanceSamples(ctx, s.clk.Now().Add(-30*24*time.Hour), 2000)
	if err != nil {
		return nil, fmt.Errorf("read balance history: %w", err)
	}
	out := make([]BalanceSample, 0, len(rows))
	for _, r := range rows {
		out = append(out, BalanceSample{At: r.At, Balance: r.Balance})
	}
	return out, nil
}
