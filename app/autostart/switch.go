package autostart

// Switch is "start at login" on one OS: the entry (a file, a registry value)
// is the truth, so Enabled reads it every time instead of remembering.
type Switch interface {
	Enabled() bool
	Enable() error
	Disable() error
}

var _ Switch = (*Autostart)(nil)
