package cloud

// CreditLevel grades a balance for the UI: the tray badge, the dashboard
// banner and notifications all use the same thresholds.
type CreditLevel string

// Credit levels.
const (
	CreditOK       CreditLevel = "ok"
	CreditLow      CreditLevel = "low"
	CreditCritical CreditLevel = "critical"
)

// Thresholds in USD, as Milady derives them client-side (the server's own
// low-credit warning for Milady billing is also $2.00).
const (
	LowThreshold      = 2.0
	CriticalThreshold = 0.5
)

// LevelFor grades balance: critical below $0.50, low below $2.00, else ok.
func LevelFor(balance float64) CreditLevel {
	switch {
	case balance < CriticalThreshold:
		return CreditCritical
	case balance < LowThreshold:
		return CreditLow
	}
	return CreditOK
}
