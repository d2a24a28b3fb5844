//go:build redteam

package redteam

import (
	"syscall"
	"testing"
)

var sigterm = syscall.SIGTERM

// TestRedteam replays every attack of the hardening issue against the
// binary. The attacks run in parallel (bounded by -parallel); the slowest,
// the never-ending request body, waits up to 35 s.
func TestRedteam(t *testing.T) {
	run(t, "resources/body-deadline", attackBodyDeadline) // first: the longest
	run(t, "login-csrf", attackLoginCSRF)
	run(t, "cross-site", attackCrossSite)
	run(t, "sim-sealed", attackSimSealed)
	run(t, "hostile-config/fifo", attackConfigFIFO)
	run(t, "hostile-config/device-symlink", attackConfigDevice)
	run(t, "hostile-config/deep-nesting", attackConfigDeep)
	run(t, "hostile-config/huge-file", attackConfigHuge)
	run(t, "storage-flood", attackStorageFlood)
	run(t, "env-leak", attackEnvLeak)
	run(t, "wal-linger", attackWALLinger)
	run(t, "resources/event-streams", attackEventStreams)
	run(t, "resources/topup-debounce", attackTopUpDebounce)
	run(t, "resources/error-cut", attackErrorCut)
	run(t, "resources/log-rotation", attackLogRotation)
	run(t, "url-credentials", attackURLCredentials)
	run(t, "lifecycle", attackLifecycle)
	run(t, "snapshot-order", attackSnapshotOrder)
}
