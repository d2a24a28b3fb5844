package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CheckoutSession is a started credit purchase: URL is the payment page to
// open in the browser.
type CheckoutSession struct {
	URL       string `json:"url"`
	SessionID string `json:"sessionId"`
}

// Checkout starts a purchase of credits (1–1000 USD) with
// POST /api/v1/credits/checkout. The cloud only accepts success and cancel
// URLs on its own origins (its billing pages), and answers 400 otherwise.
func (c *Client) Checkout(ctx context.Context, credits int, successURL, cancelURL string) (*CheckoutSession, error) {
	if credits < 1 || credits > 1000 {
		return nil, fmt.Errorf("start checkout: credits must be between 1 and 1000, got %d", credits)
	}
	body := map[string]any{"credits": credits, "success_url": successURL, "cancel_url": cancelURL}
	r := request{method: http.MethodPost, path: "/api/v1/credits/checkout", auth: authBearer, body: body, timeout: c.timeouts.Account}
	var cs CheckoutSession
	if err := c.doJSON(ctx, r, &cs); err != nil {
		return nil, fmt.Errorf("start checkout: %w", err)
	}
	u, err := url.Parse(cs.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("start checkout: %w", malformed(r, errors.New("no usable checkout url")))
	}
	return &cs, nil
}

// Transaction is one credit transaction: Amount is positive for credits
// (top-ups) and negative for debits (usage).
type Transaction struct {
	ID          string         `json:"id"`
	Amount      float64        `json:"amount"`
	Type        string         `json:"type"`
	Description string         `json:"description"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
}

// Transactions is GET /api/credits/transactions: newest first, with the
// period they cover.
type Transactions struct {
	Transactions []Transaction `json:"transactions"`
	Total        int           `json:"total"`
	Period       struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	} `json:"period"`
}

// Transactions lists the organization's recent credit transactions: those
// of the last hours (0 = no time limit), at most limit (0 = the server's
// 100). The route is limited to 60 calls a minute.
func (c *Client) Transactions(ctx context.Context, hours, limit int) (*Transactions, error) {
	q := url.Values{}
	if hours > 0 {
		q.Set("hours", strconv.Itoa(hours))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := "/api/credits/transactions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	r := request{method: http.MethodGet, path: path, auth: authBearer, timeout: c.timeouts.Account}
	var out Transactions
	if err := c.doJSON(ctx, r, &out); err != nil {
		return nil, fmt.Errorf("list credit transactions: %w", err)
	}
	if out.Transactions == nil {
		out.Transactions = []Transaction{}
	}
	return &out, nil
}

// PairingToken is a one-minute token for opening the agent's own web UI.
type PairingToken struct {
	Token       string `json:"token"`
	RedirectURL string `json:"redirectUrl"`
	ExpiresIn   int    `json:"expiresIn"` // seconds
}

// PairingToken asks for a token that opens the agent's web UI
// (POST …/pairing-token). The agent must be running (else 400).
func (c *Client) PairingToken(ctx context.Context, agentID string) (*PairingToken, error) {
	if agentID == "" {
		return nil, fmt.Errorf("get pairing token: %w", errNoAgentID)
	}
	r := request{method: http.MethodPost, path: agentPath(agentID, "/pairing-token"), auth: authAPIKey, timeout: c.timeouts.REST}
	var pt PairingToken
	if err := c.requireData(ctx, r, &pt); err != nil {
		return nil, fmt.Errorf("get pairing token for %s: %w", agentID, err)
	}
	if pt.RedirectURL == "" {
		return nil, fmt.Errorf("get pairing token for %s: %w", agentID, malformed(r, errors.New("no redirectUrl")))
	}
	return &pt, nil
}
