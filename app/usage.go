package app

import (
	"context"
	"math"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Bounds of GET /api/cloud/usage: the cloud keeps a month of transactions
// worth showing and lists at most 1000 at a time.
const (
	DefaultUsageHours = 24
	MaxUsageHours     = 720
	DefaultUsageLimit = 100
	MaxUsageLimit     = 1000
)

// ValidUsageQuery checks the window (hours) and the count (limit) of a
// usage query; 0 takes the default.
func ValidUsageQuery(hours, limit int) error {
	if hours < 0 || hours > MaxUsageHours {
		return InvalidInput("hours must be an integer from 1 to 720")
	}
	if limit < 0 || limit > MaxUsageLimit {
		return InvalidInput("limit must be an integer from 1 to 1000")
	}
	return nil
}

// Usage lists the organisation's credit transactions of the last hours
// (0 = 24), at most limit (0 = 100), with what they add up to: the
// dashboard's usage view and its "lasts about N days" estimate.
func (b *Billing) Usage(ctx context.Context, hours, limit int) (UsageResponse, error) {
	s := b.s
	if err := ValidUsageQuery(hours, limit); err != nil {
		return UsageResponse{}, err
	}
	if hours == 0 {
		hours = DefaultUsageHours
	}
	if limit == 0 {
		limit = DefaultUsageLimit
	}
	c, err := s.requireClient()
	if err != nil {
		return UsageResponse{}, err
	}
	txs, err := c.Transactions(ctx, hours, limit)
	if err != nil {
		s.observeKey(c, err)
		return UsageResponse{}, err
	}
	return usageOf(txs.Transactions, hours), nil
}

// usageOf sums the transactions. The burn rate is what was spent per hour
// over the span from the oldest to the newest debit: with fewer than two
// debits (or all at one moment) there is no span, and no rate is better
// than a made-up one.
func usageOf(txs []cloud.Transaction, hours int) UsageResponse {
	out := UsageResponse{Transactions: make([]UsageTransaction, 0, len(txs)), Hours: hours}
	debits := 0
	var first, last int64
	for _, t := range txs {
		out.Transactions = append(out.Transactions, UsageTransaction{
			ID: t.ID, Amount: t.Amount, Type: t.Type, Description: t.Description, CreatedAt: t.CreatedAt,
		})
		switch {
		case t.Amount < 0:
			out.Spent -= t.Amount
			at := t.CreatedAt.UnixMilli()
			if debits == 0 || at < first {
				first = at
			}
			if debits == 0 || at > last {
				last = at
			}
			debits++
		case t.Amount > 0:
			out.Added += t.Amount
		}
	}
	out.Spent, out.Added = round6(out.Spent), round6(out.Added)
	if span := float64(last-first) / 3.6e6; debits >= 2 && span > 0 {
		rate := round6(out.Spent / span)
		out.BurnRatePerHour = &rate
	}
	return out
}

// round6 drops binary noise (0.1+0.2) from sums of money.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
