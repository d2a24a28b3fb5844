package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Identity returns who the key belongs to, from GET /api/v1/user (the
// server's de-facto whoami, and the call that rejects a bad key with 401).
func (c *Client) Identity(ctx context.Context) (*Identity, error) {
	r := request{method: http.MethodGet, path: "/api/v1/user", auth: authBearer, timeout: c.timeouts.Account}
	var data struct {
		ID           string  `json:"id"`
		Email        *string `json:"email"`
		Name         *string `json:"name"`
		Organization *struct {
			ID string `json:"id"`
		} `json:"organization"`
	}
	ok, err := c.doData(ctx, r, &data)
	if err != nil {
		return nil, fmt.Errorf("get identity: %w", err)
	}
	if !ok || data.ID == "" {
		return nil, fmt.Errorf("get identity: %w: %s: no user id in the answer", ErrMalformed, r)
	}
	id := &Identity{UserID: data.ID}
	if data.Organization != nil {
		id.OrganizationID = data.Organization.ID
	}
	if data.Email != nil {
		id.Email = *data.Email
	}
	if data.Name != nil {
		id.Name = *data.Name
	}
	return id, nil
}

// Balance returns the organization's credit balance in USD from
// GET /api/v1/credits/balance. The server answers {"balance": n}; the
// wrapped {"success":true,"data":{"balance":n}} form is accepted too, as
// Milady does. Anything without a numeric balance is ErrMalformed.
func (c *Client) Balance(ctx context.Context) (float64, error) {
	return c.balance(ctx, false)
}

// FreshBalance is Balance with ?fresh=true: the server otherwise answers
// from a per-key cache up to 10 minutes old that no credit change clears,
// so a balance the user asked for (Refresh, after a top-up) must be fresh.
func (c *Client) FreshBalance(ctx context.Context) (float64, error) {
	return c.balance(ctx, true)
}

func (c *Client) balance(ctx context.Context, fresh bool) (float64, error) {
	path := "/api/v1/credits/balance"
	if fresh {
		path += "?fresh=true"
	}
	r := request{method: http.MethodGet, path: path, auth: authBearer, timeout: c.timeouts.Account}
	var body struct {
		Balance json.RawMessage `json:"balance"`
		Data    *struct {
			Balance json.RawMessage `json:"balance"`
		} `json:"data"`
	}
	if err := c.doJSON(ctx, r, &body); err != nil {
		return 0, fmt.Errorf("get credit balance: %w", err)
	}
	raw := body.Balance
	if len(raw) == 0 && body.Data != nil {
		raw = body.Data.Balance
	}
	var n float64
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') || json.Unmarshal(raw, &n) != nil {
		return 0, fmt.Errorf("get credit balance: %w: unexpected response from %s", ErrMalformed, r)
	}
	return n, nil
}
