package app

import (
	"context"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// creditsFlight is one upstream balance request that concurrent callers
// share (R-CREDITS: 1,000 concurrent reads cost at most one upstream call).
type creditsFlight struct {
	done    chan struct{}
	balance float64
	err     error
}

// Credits answers GET /api/cloud/credits from a cache at most CreditsTTL old;
// fresh forces a fetch, at most one every FreshMinGap.
func (s *Service) Credits(ctx context.Context, fresh bool) CreditsResponse {
	if s.currentClient() == nil {
		return CreditsResponse{Connected: false}
	}
	s.mu.Lock()
	cv := s.credits
	now := s.clk.Now()
	useCache := cv.UpdatedAt != nil && (cv.Balance != nil || cv.Error != "")
	if useCache {
		age := now.Sub(*cv.UpdatedAt)
		if fresh {
			useCache = now.Sub(s.lastFreshFetch) < s.opts.FreshMinGap
		} else {
			useCache = age < s.opts.CreditsTTL
		}
	}
	if fresh && !useCache {
		s.lastFreshFetch = now
	}
	s.mu.Unlock()
	if !useCache {
		s.refreshCredits(ctx, fresh)
		s.mu.Lock()
		cv = s.credits
		s.mu.Unlock()
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
	r.Balance, r.Low, r.Critical, r.TopUpURL = &b, &low, &critical, cv.TopUpURL
	if r.TopUpURL == "" {
		r.TopUpURL = cloud.TopUpURL
	}
	return r
}

// refreshCredits fetches the balance once, sharing an in-flight request.
func (s *Service) refreshCredits(ctx context.Context, fresh bool) {
	c := s.currentClient()
	if c == nil {
		return
	}
	s.mu.Lock()
	f := s.creditsFetch
	if f == nil {
		f = &creditsFlight{done: make(chan struct{})}
		if !s.spawn(func() { s.fetchCredits(c, f) }) {
			s.mu.Unlock()
			return // shutting down: the balance no longer matters
		}
		s.creditsFetch = f
	}
	s.mu.Unlock()
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
	f.balance, f.err = c.Balance(ctx)
	now := s.clk.Now()
	s.mu.Lock()
	if s.creditsFetch == f {
		s.creditsFetch = nil
	}
	if s.client != c { // logged out (or in again) meanwhile: drop the answer
		s.mu.Unlock()
		close(f.done)
		return
	}
	prev := s.credits
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
	s.credits = cv
	s.mu.Unlock()
	if f.err == nil {
		b := f.balance
		s.record(func(ctx context.Context) { _ = s.db.AddBalanceSample(ctx, now, b) })
	}
	changed := prev.Balance == nil || cv.Balance == nil || *prev.Balance != *cv.Balance || prev.Error != cv.Error
	if changed {
		s.publish(EventCredits, cv)
		s.observePolicy(false)
	}
	// Waiters are released only now, so Credits(fresh) returns after the
	// event and the notification policy have seen this balance. Released
	// earlier, the caller's next fetch could replace s.credits before
	// observePolicy read it, and the policy never saw this balance: a
	// recovery that re-arms the low alert was lost, and the next fall into
	// low went unnotified.
	close(f.done)
}

// refreshCreditsSoon refreshes in the background after an action that costs
// credits (chat, provisioning), at most once every FreshMinGap so a busy chat
// does not turn into a balance request per message.
func (s *Service) refreshCreditsSoon() {
	s.mu.Lock()
	now := s.clk.Now()
	recent := s.credits.UpdatedAt != nil && now.Sub(*s.credits.UpdatedAt) < s.opts.FreshMinGap
	if !recent {
		recent = now.Sub(s.lastFreshFetch) < s.opts.FreshMinGap
		s.lastFreshFetch = now
	}
	s.mu.Unlock()
	if recent {
		return
	}
	s.spawn(func() { s.refreshCredits(s.ctx, true) })
}

// creditsPoller polls the balance every creditsPollIntervalMs while a key
// is present.
func (s *Service) creditsPoller() {
	s.mu.Lock()
	every := ms(s.settings.CreditsPollIntervalMs)
	s.mu.Unlock()
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
		if s.currentClient() != nil {
			s.refreshCredits(s.ctx, false)
		}
	}
}

// CreditHistory returns the stored balance samples for the chart.
func (s *Service) CreditHistory(ctx context.Context) ([]BalanceSample, error) {
	rows, err := s.db.BalanceSamples(ctx, s.clk.Now().Add(-30*24*time.Hour), 2000)
	if err != nil {
		return nil, s.errf("read balance history: %w", err)
	}
	out := make([]BalanceSample, 0, len(rows))
	for _, r := range rows {
		out = append(out, BalanceSample{At: r.At, Balance: r.Balance})
	}
	return out, nil
}
