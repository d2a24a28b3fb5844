package reliability

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the suite: every test
// shuts down its app, REST server and simulator, so whatever is left (a
// monitor that never stopped, a stream that never ended, a poller that
// missed its cancellation) is a leak that no single test would notice.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
