package reliability

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// soakSample is one measurement of the soak test.
type soakSample struct {
	at         time.Duration
	goroutines int
	heapInuse  uint64
}

// TestSoak stays connected for $MILADY_SOAK (e.g. 10m) with 1 s heartbeats
// and 2 s backups, a dashboard's event stream open and a chat message and a
// status read every sample, and checks that goroutines and heap stay flat:
// the last samples are at most 20 % (plus a little slack) above the first,
// taken once the session is warm. Samples are logged so they can be
// reported. Without MILADY_SOAK it is skipped.
func TestSoak(t *testing.T) {
	v := os.Getenv("MILADY_SOAK")
	if v == "" {
		t.Skip("set MILADY_SOAK=10m to run the soak test")
	}
	length, err := time.ParseDuration(v)
	if err != nil || length < 20*time.Second {
		t.Fatalf("MILADY_SOAK=%q: want a duration of at least 20s", v)
	}
	const every = 10 * time.Second
	mc := quietManager()
	mc.HeartbeatInterval = time.Second
	mc.BackupInterval = 2 * time.Second
	mc.SkipWhenIdle = new(false) // the soak counts backups on the plain schedule
	h := loggedIn(t, options{manager: &mc})
	id := h.createAgent("Soak")
	h.connect(id)
	rec := h.record()
	mark := rec.mark()

	streamDone := h.followEvents(io.Discard)

	// MILADY_SOAK_PROFILE=dir writes heap profiles at the first and the
	// last sample, for `go tool pprof -base first.pprof last.pprof`.
	profile := func(name string) {
		dir := os.Getenv("MILADY_SOAK_PROFILE")
		if dir == "" {
			return
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("heap profile: %v", err)
			return
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Errorf("heap profile: %v", err)
		}
	}
	measure := func(at time.Duration) soakSample {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return soakSample{at: at, goroutines: runtime.NumGoroutine(), heapInuse: ms.HeapInuse}
	}
	begin := time.Now()
	beats0 := h.sim.CountRequests("POST", bridgePath(id))
	backups0 := h.sim.CountRequests("POST", "/api/v1/milady/agents/"+id+"/snapshot")
	tick := time.NewTicker(every)
	defer tick.Stop()
	var samples []soakSample
	for n := 1; time.Duration(n)*every <= length; n++ {
		<-tick.C
		h.expect("POST", "/api/chat", fmt.Sprintf(`{"text":"soak %d"}`, n), 200)
		h.expect("GET", "/api/cloud/status", "", 200)
		s := measure(time.Since(begin).Round(time.Second))
		samples = append(samples, s)
		if n == 1 {
			profile("first.pprof")
		}
		t.Logf("soak sample %2d at %6s: goroutines %4d, heap in use %6.2f MiB", n, s.at, s.goroutines, float64(s.heapInuse)/(1<<20))
	}
	profile("last.pprof")
	elapsed := time.Since(begin)
	beats := h.sim.CountRequests("POST", bridgePath(id)) - beats0 // chat goes through the stream route
	backups := h.sim.CountRequests("POST", "/api/v1/milady/agents/"+id+"/snapshot") - backups0
	t.Logf("soak of %s: %d heartbeats, %d backups, %d chat messages; states during the soak: %v",
		elapsed.Round(time.Second), beats, backups, len(samples), rec.states(mark))

	if s := rec.states(mark); len(s) != 0 {
		t.Errorf("the connection changed state during the soak: %v", s)
	}
	if c := h.connection(); c["state"] != string(cloud.StateConnected) {
		t.Errorf("connection after the soak = %v", c)
	}
	if want := int(elapsed / mc.HeartbeatInterval); beats < want*8/10 {
		t.Errorf("%d heartbeats in %s, want about %d", beats, elapsed, want)
	}
	if want := int(elapsed / mc.BackupInterval); backups < want*8/10 {
		t.Errorf("%d backups in %s, want about %d", backups, elapsed, want)
	}
	if len(samples) >= 2 {
		// A leak grows steadily; one request in flight at sampling time
		// is noise, so with enough samples the medians of three are
		// compared.
		first, last := samples[0], samples[len(samples)-1]
		if len(samples) >= 6 {
			first, last = median3(samples[:3]), median3(samples[len(samples)-3:])
		}
		if limit := first.goroutines*12/10 + 5; last.goroutines > limit {
			t.Errorf("goroutines grew from %d to %d (limit %d)", first.goroutines, last.goroutines, limit)
		}
		if limit := first.heapInuse*12/10 + 2<<20; last.heapInuse > limit {
			t.Errorf("heap in use grew from %d to %d bytes (limit %d)", first.heapInuse, last.heapInuse, limit)
		}
	}
	h.stop()
	<-streamDone
}

// median3 is the sample-wise median of three samples (goroutines and heap
// taken separately).
func median3(s []soakSample) soakSample {
	g := []int{s[0].goroutines, s[1].goroutines, s[2].goroutines}
	m := []uint64{s[0].heapInuse, s[1].heapInuse, s[2].heapInuse}
	slices.Sort(g)
	slices.Sort(m)
	return soakSample{at: s[1].at, goroutines: g[1], heapInuse: m[1]}
}
