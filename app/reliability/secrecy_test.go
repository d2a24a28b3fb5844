package reliability

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestAPIKeyNeverLeaks runs a whole session — login, agents, connect,
// chat, stream, snapshot, a 402, injected failures, a heartbeat outage,
// log-out, shutdown — and then looks for the API key (and the part of it
// after the 12-character prefix that may be shown) in every log line at
// debug level, every REST answer, every event of /api/cloud/events, and
// every file the app wrote. Only milady.json and the
// database may hold it, and only until log-out.
func TestAPIKeyNeverLeaks(t *testing.T) {
	mc := quietManager()
	mc.HeartbeatInterval = 40 * time.Millisecond
	mc.BackupInterval = 150 * time.Millisecond
	h := newHarness(t, options{logLevel: slog.LevelDebug, manager: &mc})

	// The event stream for the whole session, read by a client without a
	// timeout; Shutdown ends it.
	events := &apptest.Buffer{}
	streamDone := h.followEvents(events)

	key := h.login()
	if len(key) < 40 {
		t.Fatalf("implausible key %q", key[:min(len(key), 12)])
	}
	secrets := []string{key, key[12:]}

	id := h.connectedAgent("Secret Keeper")
	h.expect("POST", "/api/chat", `{"text":"what is my key?"}`, 200)
	h.expectStream(`{"text":"stream it"}`)
	h.expect("POST", "/api/cloud/agents/"+id+"/snapshot", "", 200)
	for _, p := range []string{"/api/cloud/status", "/api/cloud/credits?fresh=1", "/api/cloud/agents", "/api/cloud/agents/" + id,
		"/api/cloud/agents/" + id + "/backups", "/api/chat/history", "/api/cloud/credits/history", "/api/health"} {
		h.expect("GET", p, "", 200)
	}
	// Failures: insufficient credits, injected 500s, a timeout, a
	// heartbeat outage long enough to reconnect.
	h.sim.SetBalance(1)
	h.expect("POST", "/api/cloud/agents", `{"agentName":"Too Poor"}`, 402)
	h.sim.SetBalance(25)
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents", Method: "GET", Status: 500, Count: 1})
	h.expect("GET", "/api/cloud/agents", "", 502)
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/v1/credits/balance", Status: 500, Count: 1})
	h.expect("GET", "/api/cloud/credits?fresh=1", "", 200)
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + id + "/stream", Status: 500, Count: 1})
	h.expectStream(`{"text":"fail me"}`)
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/auth/cli-session", Method: "POST", Reset: true, Count: 1})
	h.expect("POST", "/api/cloud/login", "", 502)
	h.expect("GET", "/api/cloud/agents/not-a-uuid", "", 400)
	rec, mark := h.record()
	h.sim.FailHeartbeats(mc.MaxHeartbeatFailures)
	rec.waitState(t, mark, "reconnecting", is(cloud.StateReconnecting))
	rec.waitState(t, mark, "connected again", is(cloud.StateConnected))
	rec.waitEvent(t, mark, "a scheduled backup", func(ev appEvent) bool { return ev.Type == "backup" })

	// While logged in, only milady.json and the database hold the key.
	held := filesHolding(t, h.root, secrets)
	for _, f := range held {
		if !allowedKeyHolder(f) {
			t.Errorf("%s holds the API key while logged in", f)
		}
	}
	if !contains(held, "milady.json") || !(contains(held, store.FileName) || contains(held, store.FileName+"-wal")) {
		t.Errorf("milady.json and the database should hold the key while logged in (files: %v): the search is broken", held)
	}

	h.expect("POST", "/api/cloud/disconnect", "", 200)
	h.stop()
	<-streamDone

	if !strings.Contains(events.String(), "event: login") || !strings.Contains(h.logs.String(), "level=DEBUG") {
		t.Fatal("the capture missed the session: no login event or no debug log")
	}
	for what, text := range map[string]string{"log": h.logs.String(), "REST answers": h.bodies.String(), "event stream": events.String()} {
		for _, s := range secrets {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("the API key appears in the %s: …%s…", what, text[max(0, i-120):i])
			}
		}
	}
	// After log-out and shutdown no file holds it, the database included.
	if held := filesHolding(t, h.root, secrets); len(held) > 0 {
		t.Errorf("after log-out and shutdown the API key is still in %v", held)
	}
}

// allowedKeyHolder reports whether the file may hold the key while the user
// is logged in: the config and the database with its WAL.
func allowedKeyHolder(path string) bool {
	switch filepath.Base(path) {
	case "milady.json", store.FileName, store.FileName + "-wal", store.FileName + "-shm":
		return true
	}
	return false
}

// filesHolding lists the files under root whose bytes contain any secret.
func filesHolding(t *testing.T, root string, secrets []string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				rel, _ := filepath.Rel(root, path)
				out = append(out, rel)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(list []string, base string) bool {
	for _, f := range list {
		if filepath.Base(f) == base {
			return true
		}
	}
	return false
}
