package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

func TestLevelFor(t *testing.T) {
	cases := []struct {
		balance float64
		want    CreditLevel
	}{
		{-1, CreditCritical}, {0, CreditCritical}, {0.49, CreditCritical}, {0.5, CreditLow},
		{1.99, CreditLow}, {2.0, CreditOK}, {25, CreditOK},
	}
	for _, c := range cases {
		if got := LevelFor(c.balance); got != c.want {
			t.Errorf("LevelFor(%v) = %q, want %q", c.balance, got, c.want)
		}
	}
	if CreditOK != "ok" || CreditLow != "low" || CreditCritical != "critical" || LowThreshold != 2.0 || CriticalThreshold != 0.5 {
		t.Fatal("constants changed")
	}
}

func TestBalance(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{InitialBalance: 12.5})
	ctx := context.Background()
	if b, err := c.Balance(ctx); err != nil || b != 12.5 {
		t.Fatalf("Balance = %v, %v", b, err)
	}
	s.SetBalance(0.25)
	if b, err := c.Balance(ctx); err != nil || b != 0.25 {
		t.Fatalf("Balance after SetBalance = %v, %v", b, err)
	}
	const path = "/api/v1/credits/balance"
	for _, tc := range []struct {
		body string
		want float64
		ok   bool
	}{
		{`{"balance":1.5}`, 1.5, true},
		{`{"success":true,"data":{"balance":3.2}}`, 3.2, true},
		{`{"balance":0}`, 0, true},
		{`{"balance":-0.75}`, -0.75, true},
		{`{"balance":"12.5"}`, 0, false},
		{`{"balance":null}`, 0, false},
		{`{"success":true}`, 0, false},
		{`{"success":true,"data":{"credits":1}}`, 0, false},
		{`[]`, 0, false},
	} {
		s.InjectFault(cloudsim.Fault{Path: path, Count: 1, Status: 200, Body: tc.body})
		b, err := c.Balance(ctx)
		if tc.ok {
			if err != nil || b != tc.want {
				t.Errorf("body %s: %v, %v; want %v", tc.body, b, err, tc.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("body %s: got %v, want ErrMalformed", tc.body, b)
			continue
		}
		assertKind(t, err, ErrMalformed)
	}
	s.InjectFault(cloudsim.Fault{Path: path, Count: 1, Status: 401, Body: `{"success":false,"error":"Invalid or expired API key","code":"authentication_required"}`})
	_, err := c.Balance(ctx)
	assertKind(t, err, ErrUnauthorized)
}

func TestAccountTimeout(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{}, func(o *ClientOptions) { o.Timeouts.Account = 50 * time.Millisecond })
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/", Count: 2, Delay: 5 * time.Second})
	_, err := c.Balance(context.Background())
	assertKind(t, err, ErrTimeout)
	_, err = c.Identity(context.Background())
	assertKind(t, err, ErrTimeout)
}

func TestIdentityErrors(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{})
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/user", Count: 1, Status: 500, Body: `{"success":false,"error":"Failed to fetch user data"}`})
	_, err := c.Identity(context.Background())
	assertKind(t, err, ErrUpstream)
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/user", Count: 1, Status: 200, Body: `{"success":true,"data":{}}`})
	_, err = c.Identity(context.Background())
	assertKind(t, err, ErrMalformed)
}
