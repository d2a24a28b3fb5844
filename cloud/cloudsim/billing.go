package cloudsim

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// txn is one credit transaction of the organization.
type txn struct {
	id          string
	amount      float64 // positive for credits, negative for debits
	typ         string  // credit | debit
	description string
	metadata    obj
	paymentID   *string
	createdAt   time.Time
}

// checkoutSession is a pending or paid Stripe-like checkout.
type checkoutSession struct {
	id         string
	credits    int
	successURL string
	cancelURL  string
	paid       bool
	createdAt  time.Time
}

// recordTxnLocked appends a transaction.
func (s *Server) recordTxnLocked(amount float64, typ, desc string, meta obj, payment *string) {
	if meta == nil {
		meta = obj{}
	}
	s.st.txns = append(s.st.txns, &txn{id: uuid.NewString(), amount: amount, typ: typ, description: desc,
		metadata: meta, paymentID: payment, createdAt: s.now()})
}

// ChargeRunningHours bills every running agent for h hours at the server's
// $0.01/h running rate (stopped agents $0.0025/h), as the billing cron
// does, recording one debit per agent.
func (s *Server) ChargeRunningHours(h float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	ids := make([]string, 0, len(s.st.agents))
	for id := range s.st.agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := s.st.agents[id]
		rate, what := 0.0025, "stopped"
		if a.status == "running" {
			rate, what = 0.01, "running"
		}
		cost := rate * h
		s.st.balance -= cost
		s.recordTxnLocked(-cost, "debit", fmt.Sprintf("Milady agent %s (%s) — %g h", a.name, what, h),
			obj{"agentId": a.id, "type": "milady_hosting", "hours": h, "status": what}, nil)
	}
}

// PayCheckout completes a checkout as the Stripe webhook would: the credits
// are added to the balance (the cached balance stays stale until read
// fresh). It reports whether an unpaid session was found.
func (s *Server) PayCheckout(sessionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.checkouts[sessionID]
	if c == nil || c.paid {
		return false
	}
	c.paid = true
	s.st.balance += float64(c.credits)
	pi := "pi_sim_" + c.id[:8]
	s.recordTxnLocked(float64(c.credits), "credit", "Credit purchase",
		obj{"type": "checkout", "sessionId": c.id, "credits": c.credits}, &pi)
	return true
}

// sameOrigin reports whether raw is an absolute URL on the simulator's own
// origin (the server only redirects to the platform's origins).
func (s *Server) sameOrigin(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false
	}
	return u.Scheme+"://"+u.Host == s.url
}

// handleCheckout is POST /api/v1/credits/checkout {credits, success_url,
// cancel_url} → {url, sessionId}.
func (s *Server) handleCheckout(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	body, err := parseJSON(r)
	m, isObj := body.(map[string]any)
	if err != nil || !isObj {
		apiError(w, http.StatusBadRequest, "Invalid request body", "validation_error")
		return
	}
	n, isNum := m["credits"].(float64)
	if !isNum || n != float64(int(n)) || n < 1 || n > 1000 {
		apiError(w, http.StatusBadRequest, "Credits must be a whole number between 1 and 1000", "validation_error")
		return
	}
	succ, _ := m["success_url"].(string)
	canc, _ := m["cancel_url"].(string)
	if succ == "" || canc == "" {
		apiError(w, http.StatusBadRequest, "success_url and cancel_url are required", "validation_error")
		return
	}
	if !s.sameOrigin(succ) || !s.sameOrigin(canc) {
		apiError(w, http.StatusBadRequest, "Invalid redirect URL", "validation_error")
		return
	}
	c := &checkoutSession{id: "cs_sim_" + uuid.NewString(), credits: int(n), successURL: succ, cancelURL: canc, createdAt: s.now()}
	s.mu.Lock()
	s.st.checkouts[c.id] = c
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{"url": s.url + "/__sim/checkout/" + c.id, "sessionId": c.id})
}

// handleVerify is GET /api/v1/credits/verify?session_id=.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	id := r.URL.Query().Get("session_id")
	if id == "" {
		apiError(w, http.StatusBadRequest, "session_id is required", "validation_error")
		return
	}
	s.mu.Lock()
	c := s.st.checkouts[id]
	var paid bool
	var credits int
	if c != nil {
		paid, credits = c.paid, c.credits
	}
	s.mu.Unlock()
	if c == nil {
		apiError(w, http.StatusNotFound, "Checkout session not found", "resource_not_found")
		return
	}
	status := "unpaid"
	if paid {
		status = "paid"
	}
	writeJSON(w, http.StatusOK, obj{"success": paid, "paymentStatus": status, "credits": credits, "sessionId": id})
}

// handleTransactions is GET /api/credits/transactions?hours=&limit=:
// newest first, rate limited like the STANDARD preset.
func (s *Server) handleTransactions(w http.ResponseWriter, r *http.Request) {
	if s.rateLimited(w, r) {
		return
	}
	if !s.requireKey(w, r) {
		return
	}
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			limit = n
		}
	}
	hours := -1
	if v := q.Get("hours"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			hours = n
		}
	}
	now := s.now()
	s.mu.Lock()
	list := make([]obj, 0, len(s.st.txns))
	var oldest time.Time
	for i := len(s.st.txns) - 1; i >= 0 && len(list) < limit; i-- {
		t := s.st.txns[i]
		if hours >= 0 && t.createdAt.Before(now.Add(-time.Duration(hours)*time.Hour)) {
			continue
		}
		oldest = t.createdAt
		list = append(list, obj{"id": t.id, "organization_id": SimOrgID, "amount": t.amount, "type": t.typ,
			"description": t.description, "metadata": t.metadata, "stripe_payment_intent_id": strPtr(t.paymentID),
			"created_at": iso(t.createdAt)})
	}
	s.mu.Unlock()
	start := now
	if hours >= 0 {
		start = now.Add(-time.Duration(hours) * time.Hour)
	} else if len(list) > 0 {
		start = oldest
	}
	writeJSON(w, http.StatusOK, obj{"transactions": list, "total": len(list),
		"period": obj{"start": iso(start), "end": iso(now)}})
}

// checkoutPage is the simulated Stripe page: GET shows the amount and a Pay
// button, POST pays and redirects to success_url.
func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	c := s.st.checkouts[id]
	var credits int
	var paid bool
	var succ, canc string
	if c != nil {
		credits, paid, succ, canc = c.credits, c.paid, c.successURL, c.cancelURL
	}
	s.mu.Unlock()
	if c == nil {
		http.Error(w, "Checkout session not found", http.StatusNotFound)
		return
	}
	if r.Method == http.MethodPost {
		s.PayCheckout(id)
		http.Redirect(w, r, succ, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	state := `<form method="post"><button id="pay" type="submit">Pay $` + strconv.Itoa(credits) + `</button></form>` +
		`<p><a id="cancel" href="` + html.EscapeString(canc) + `">Cancel</a></p>`
	if paid {
		state = `<p id="paid">Paid.</p>`
	}
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>Simulated checkout</title></head>`+
		`<body><h1>Eliza Cloud credits (simulator)</h1><p>Add $%d of credits.</p>%s</body></html>`, credits, state)
}

// dashboardPage stands in for the web dashboard's pages (billing, API keys)
// that checkout redirects and the app's links open.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>Eliza Cloud (simulator)</title></head>`+
		`<body><h1>Eliza Cloud dashboard (simulator)</h1><p id="page">%s</p><p id="balance">$%.2f</p></body></html>`,
		html.EscapeString(r.PathValue("page")), s.Balance())
}
