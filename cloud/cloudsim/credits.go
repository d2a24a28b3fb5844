package cloudsim

import (
	"net/http"
	"strconv"
)

// minBalance is the $5 credit gate on create, provision and resume.
const minBalance = 5.0

// SetBalance sets the organization's credit balance in USD.
func (s *Server) SetBalance(v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := v - s.st.balance; d != 0 {
		typ := "credit"
		if d < 0 {
			typ = "debit"
		}
		s.recordTxnLocked(d, typ, "Balance adjustment", obj{"type": "adjustment"}, nil)
	}
	s.st.balance = v
}

// Balance is the organization's credit balance in USD.
func (s *Server) Balance() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.balance
}

// handleBalance is GET /api/v1/credits/balance and its older alias
// /api/credits/balance: a bare {"balance": n}, read from the per-key cache
// (when on) unless ?fresh=true.
func (s *Server) handleBalance(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	bal := s.balanceFor(r, r.URL.Query().Get("fresh") == "true")
	h := w.Header()
	h.Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "0")
	writeJSON(w, http.StatusOK, obj{"balance": bal})
}

// handleUser is GET /api/v1/user, the de-facto whoami. It is rate limited
// and its errors carry no code. The org's credit_balance is a string, as
// Drizzle returns a numeric(12,6) column.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	if s.rateLimited(w, r) {
		return
	}
	if f := s.authenticate(r); f != nil {
		plainError(w, f.status, f.msg)
		return
	}
	s.mu.Lock()
	bal := s.st.balance
	s.mu.Unlock()
	created := iso(s.start)
	writeData(w, http.StatusOK, obj{
		"id":                     SimUserID,
		"email":                  SimEmail,
		"name":                   "Simulated User",
		"avatar":                 nil,
		"nickname":               nil,
		"work_function":          nil,
		"preferences":            nil,
		"response_notifications": true,
		"email_notifications":    true,
		"role":                   "owner",
		"email_verified":         true,
		"wallet_address":         nil,
		"wallet_chain_type":      nil,
		"wallet_verified":        false,
		"is_active":              true,
		"created_at":             created,
		"updated_at":             created,
		"organization": obj{
			"id":             SimOrgID,
			"name":           SimOrgName,
			"slug":           "simulator-org",
			"credit_balance": strconv.FormatFloat(bal, 'f', 6, 64),
		},
	})
}
