package cloud

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

func TestFreshBalanceBypassesTheServerCache(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{BalanceCache: true, InitialBalance: 1})
	ctx := context.Background()
	if b, err := c.Balance(ctx); err != nil || b != 1 {
		t.Fatalf("Balance = %v, %v", b, err)
	}
	s.SetBalance(30)
	if b, _ := c.Balance(ctx); b != 1 {
		t.Fatalf("cached Balance = %v, want the stale 1", b)
	}
	if b, err := c.FreshBalance(ctx); err != nil || b != 30 {
		t.Fatalf("FreshBalance = %v, %v; want 30", b, err)
	}
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/api/v1/credits/balance" || last.Query != "fresh=true" {
		t.Fatalf("last request = %+v", last)
	}
}

func TestKeyRejectedOnEveryKindOfCall(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	a := runningAgent(t, c)
	s.RevokeKeys()
	ctx := context.Background()
	calls := map[string]func() error{
		"balance":   func() error { _, err := c.Balance(ctx); return err },
		"identity":  func() error { _, err := c.Identity(ctx); return err },
		"agents":    func() error { _, err := c.ListAgents(ctx); return err },
		"heartbeat": func() error { return c.Heartbeat(ctx, a.ID) },
		"provision": func() error { _, err := c.Provision(ctx, a.ID); return err },
		"stream":    func() error { return c.Stream(ctx, a.ID, Message{Text: "hi"}, func(string) error { return nil }) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrKeyRejected) || !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v is not ErrKeyRejected", name, err)
		}
	}
	// A 401 about the route (session only) is not about the key.
	if errors.Is(&HTTPError{Status: 401, Code: "session_auth_required"}, ErrKeyRejected) {
		t.Error("session_auth_required counted as a rejected key")
	}
	if errors.Is(&HTTPError{Status: 403, Code: "access_denied"}, ErrKeyRejected) {
		t.Error("403 counted as a rejected key")
	}
}

func TestCheckoutTransactionsAndPairingToken(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	ctx := context.Background()
	billing := s.URL() + "/dashboard/billing"
	cs, err := c.Checkout(ctx, 15, billing, billing)
	if err != nil || cs.SessionID == "" || !strings.HasPrefix(cs.URL, s.URL()) {
		t.Fatalf("Checkout = %+v, %v", cs, err)
	}
	if _, err := c.Checkout(ctx, 15, "https://evil.example/", billing); !errors.Is(err, ErrUpstream) {
		t.Fatalf("foreign success URL: %v", err)
	}
	if _, err := c.Checkout(ctx, 0, billing, billing); err == nil {
		t.Fatal("0 credits accepted")
	}
	if !s.PayCheckout(cs.SessionID) {
		t.Fatal("PayCheckout found no session")
	}
	tx, err := c.Transactions(ctx, 24, 10)
	if err != nil || tx.Total != 1 || len(tx.Transactions) != 1 || tx.Transactions[0].Amount != 15 || tx.Transactions[0].Type != "credit" {
		t.Fatalf("Transactions = %+v, %v", tx, err)
	}
	a := newAgent(t, c)
	if _, err := c.PairingToken(ctx, a.ID); err == nil || !strings.Contains(err.Error(), "Agent must be running to generate pairing token") {
		t.Fatalf("pairing token for a pending agent: %v", err)
	}
	if _, err := c.Provision(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	pt, err := c.PairingToken(ctx, a.ID)
	if err != nil || pt.Token == "" || pt.ExpiresIn != 60 || !strings.Contains(pt.RedirectURL, pt.Token) {
		t.Fatalf("PairingToken = %+v, %v", pt, err)
	}
}

// A job that the worker fails once and then completes, on the server's own
// timing (about five minutes), reports queued → starting → retrying (1 of
// 3) → done, within a 15-minute wait.
func TestProvisionReportsJobProgress(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Worker: cloudsim.ServerWorker()}, func(o *ClientOptions) { o.JobTimeout = 15 * time.Minute })
	a := newAgent(t, c)
	s.ScriptJob(1)
	var mu sync.Mutex
	var seen []JobProgress
	ctx := WithJobProgress(context.Background(), func(p JobProgress) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	})
	var res *ProvisionResult
	var err error
	finished := async(func() { res, err = c.Provision(ctx, a.ID) })
	drive(t, f, 2, 5*time.Second, finished)
	if err != nil || res.Status != "running" {
		t.Fatalf("Provision = %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var phases []string
	for _, p := range seen {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
		if p.Phase == JobRetrying && (p.Retry != 1 || p.MaxAttempts != 3 || p.Error != "Health check timed out") {
			t.Errorf("retrying progress = %+v", p)
		}
	}
	if want := []string{JobQueued, JobStarting, JobRetrying, JobDone}; !slices.Equal(phases, want) {
		t.Fatalf("phases = %v, want %v (all: %+v)", phases, want, seen)
	}
}

// "Sandbox bridge is unreachable" after the server's 30 s is the agent
// being slow (AgentTooSlowError, ErrTimeout); the same text at once is a
// dead sandbox; the stream route still gets a 45 s reply.
func TestSlowAgentVersusDeadSandbox(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	a := runningAgent(t, c)
	ctx := context.Background()
	s.SetReplyDelay(45 * time.Second)
	var err error
	finished := async(func() { _, err = c.SendMessage(ctx, a.ID, Message{Text: "think hard"}) })
	drive(t, f, 1, 30*time.Second, finished)
	var slow *AgentTooSlowError
	if !errors.As(err, &slow) || !errors.Is(err, ErrTimeout) || slow.Elapsed < 30*time.Second ||
		!strings.Contains(err.Error(), "the agent took too long to answer") {
		t.Fatalf("slow reply: %v", err)
	}
	var text strings.Builder
	finished = async(func() {
		err = c.Stream(ctx, a.ID, Message{Text: "think hard"}, func(s string) error { text.WriteString(s); return nil })
	})
	drive(t, f, 1, 45*time.Second, finished)
	if err != nil || text.String() != "[echo] think hard" {
		t.Fatalf("stream = %q, %v", text.String(), err)
	}

	s.SetReplyDelay(0)
	s.SetDeadSandbox(a.ID, true, false)
	_, err = c.SendMessage(ctx, a.ID, Message{Text: "hello"})
	var re *RPCError
	if errors.As(err, &slow) || !errors.As(err, &re) || re.Message != "Sandbox bridge is unreachable" {
		t.Fatalf("dead sandbox: %v", err)
	}
}
