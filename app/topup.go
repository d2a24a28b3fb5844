package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Top-up bounds: the cloud's checkout sells 1 to 1000 credits (USD) at a
// time; the dashboard's default pick is 10.
const (
	MinTopUpCredits     = 1
	MaxTopUpCredits     = 1000
	DefaultTopUpCredits = 10
)

// topUpRecheck is when the balance is read fresh again after a top-up:
// the payment takes the user a minute or two in the browser, and the
// cloud's cached balance would not show it.
const topUpRecheck = 2 * time.Minute

// Paths of the cloud's own pages. The checkout's return URLs must be on
// the cloud's origin (it refuses others), and its billing page is where
// the payment comes back to.
const (
	billingPath  = "/dashboard/settings?tab=billing"
	apiKeysPath  = "/dashboard/api-keys"
	checkoutDone = "&checkout=success"
	checkoutGone = "&checkout=cancelled"
)

// ValidTopUpCredits checks the amount of a top-up.
func ValidTopUpCredits(n int) error {
	if n < MinTopUpCredits || n > MaxTopUpCredits {
		return InvalidInput("credits must be an integer from 1 to 1000")
	}
	return nil
}

// cloudPage is a page of the cloud's web dashboard at path, on the
// configured base (the simulator's under --sim).
func (s *Service) cloudPage(path string) string {
	s.sess.mu.Lock()
	base, refused := s.sess.baseURL, s.sess.baseErr != nil
	s.sess.mu.Unlock()
	if refused || base == "" {
		base = cloud.DefaultBaseURL
	}
	return strings.TrimRight(base, "/") + path
}

// TopUp starts buying credits (0 = DefaultTopUpCredits): it opens the
// cloud's checkout in the browser, or its billing page when a checkout
// cannot be started (logged out, key refused, cloud down). Within
// OpenInterval of the last browser open it opens nothing, starts no
// checkout, and answers with the last top-up page. The balance is read
// fresh topUpRecheck later, when the payment has had time to land.
func (b *Billing) TopUp(ctx context.Context, credits int) (TopUpResponse, error) {
	s := b.s
	if credits == 0 {
		credits = DefaultTopUpCredits
	}
	if err := ValidTopUpCredits(credits); err != nil {
		return TopUpResponse{}, err
	}
	billing := s.topUpURL()
	if s.opts.Opener == nil {
		return TopUpResponse{}, errors.New("no browser available: open " + billing)
	}
	if !s.shell.opens.allow(s.clk.Now()) {
		s.log.Debug("top-up page opened moments ago; not opening it again")
		return TopUpResponse{OK: true, URL: s.shell.lastTopUp(billing)}, nil
	}
	u := billing
	if c := s.sess.keyed(); c != nil {
		back := s.cloudPage(billingPath)
		cs, err := c.Checkout(ctx, credits, back+checkoutDone, back+checkoutGone)
		if err != nil {
			s.log.Warn("checkout not started; opening the billing page instead", "err", err)
			s.observeKey(c, err)
		} else {
			u = cs.URL
		}
	}
	s.shell.setLastTopUp(u)
	if err := s.opts.Opener.Open(u); err != nil {
		return TopUpResponse{}, fmt.Errorf("open browser: %w", err)
	}
	s.spawn(s.recheckAfterTopUp)
	return TopUpResponse{OK: true, URL: u}, nil
}

// recheckAfterTopUp reads the balance fresh once topUpRecheck after a
// top-up, so a payment made in the browser shows without a click.
func (s *Service) recheckAfterTopUp() {
	t := s.clk.NewTimer(topUpRecheck)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return
	case <-t.C():
	}
	s.billing.Credits(s.ctx, true)
}
