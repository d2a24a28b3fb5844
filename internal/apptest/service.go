package apptest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

// StartSim starts a simulator (stopped at cleanup) whose provisioning jobs
// are polled every 10 ms, so a queued provision finishes within a test.
func StartSim(t testing.TB) *cloudsim.Server {
	t.Helper()
	return cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
}

// FastManager is a manager config whose heartbeat and reconnect run on a
// test's time scale: a dropped bridge is noticed and retried within a
// fraction of a second. Scheduled backups are an hour apart, so only the
// final snapshot at disconnect or shutdown happens during a test.
func FastManager() cloud.ManagerConfig {
	return cloud.ManagerConfig{
		HeartbeatInterval:    50 * time.Millisecond,
		ReconnectInterval:    20 * time.Millisecond,
		MaxReconnectDelay:    100 * time.Millisecond,
		MaxReconnectAttempts: 3,
		MaxHeartbeatFailures: 2,
		BackupInterval:       time.Hour,
		FinalSnapshotTimeout: 5 * time.Second,
	}
}

// WriteConfig writes text as the config file at path (creating its
// directory), as a user's milady.json before the app starts.
func WriteConfig(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatalf("create config directory: %v", err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
}

// ServiceConfig is one test Service: where its files are, the simulator it
// talks to, and the Options only its harness sets.
type ServiceConfig struct {
	ConfigPath string // milady.json (need not exist)
	StateDir   string // the database directory
	// Sim, when set, is the cloud: it fills Options.BaseURL, allows its
	// loopback address and, when Options.RootCAs is nil, trusts its
	// certificate. Nil leaves Options' endpoint as given.
	Sim *cloudsim.Server
	// Options are passed to app.New; Config and DB are filled in, and
	// Options.Logger also logs the config store.
	Options app.Options
}

// NewService opens the config file and the database and builds a Service
// over them, as main does. It does not start the Service; the caller shuts
// it down and then closes the database, which lets a harness restart the
// app over the same files.
func NewService(t testing.TB, c ServiceConfig) (*app.Service, *store.DB) {
	t.Helper()
	o := c.Options
	cfg, err := config.Open(c.ConfigPath, o.Logger)
	if err != nil {
		t.Fatalf("open config: %v", err)
	}
	db, err := store.Open(c.StateDir)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	o.Config, o.DB = cfg, db
	if c.Sim != nil {
		o.BaseURL = c.Sim.URL()
		o.AllowLoopback = true
		if o.RootCAs == nil {
			o.RootCAs = c.Sim.CertPool()
		}
	}
	svc, err := app.New(o)
	if err != nil {
		_ = db.Close()
		t.Fatalf("new service: %v", err)
	}
	return svc, db
}

// Eventually polls cond until it holds, failing the test when within
// passes first. It is the one polling helper of the tests, for what the
// app does on its own time (a login completing, a reconnect, a process
// answering), where no event tells the test. The first polls come 5 ms
// apart, then the gap doubles up to 100 ms, so a quick condition is seen
// at once and a slow one (an HTTP call to a child process) does not load
// the machine.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	gap := 5 * time.Millisecond
	for !cond() {
		tick := time.NewTimer(gap)
		select {
		case <-tick.C:
		case <-deadline.C:
			tick.Stop()
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		gap = min(2*gap, 100*time.Millisecond)
	}
}

// Receive returns the next value from ch, failing the test when none comes
// within the bound: the one way the tests wait for a signal (a render, a
// closed subscription, a goroutine's result) that something else sends.
func Receive[T any](t testing.TB, ch <-chan T, within time.Duration, what string) T {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	select {
	case v := <-ch:
		return v
	case <-deadline.C:
		t.Fatalf("timed out after %s waiting for %s", within, what)
		var zero T
		return zero
	}
}
