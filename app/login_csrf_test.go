package app_test

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// attackerSession creates and approves a login session on the simulator as
// an attacker would on the real cloud: with their own browser and account,
// never through this app.
func attackerSession(t *testing.T, h *harness) string {
	t.Helper()
	id := "6a1f0c8e-2b7d-4c1e-9f3a-5d8e7b6c4a21"
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.sim.CertPool()}}}
	defer hc.CloseIdleConnections()
	res, err := hc.Post(h.sim.URL()+"/api/auth/cli-session", "application/json", strings.NewReader(`{"sessionId":"`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create the attacker's session: HTTP %d", res.StatusCode)
	}
	if err := h.sim.ApproveSession(id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestLoginStatusForeignSessionCannotLogIn: a web page makes the browser
// poll a session the attacker approved (an <img> sends no Origin). The app
// must answer "expired" without asking the cloud, and stay logged out.
func TestLoginStatusForeignSessionCannotLogIn(t *testing.T) {
	h := newHarness(t, harnessOpts{configText: `{"cloud":{"enabled":false}}`})
	before, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sid := attackerSession(t, h)
	h.sim.ResetRequests()
	for range 3 {
		m := h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)
		if m["status"] != "expired" || m["error"] != "Session not found or expired" || len(m) != 2 {
			t.Fatalf("foreign session answered %v", m)
		}
	}
	if n := h.sim.CountRequests("", "/api/auth/cli-session"); n != 0 {
		t.Errorf("the app asked the cloud %d times about a session it did not start", n)
	}
	if h.sim.SessionKeyRetrieved(sid) {
		t.Error("the attacker's key was retrieved")
	}
	after, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("config changed:\n%s\nwas\n%s", after, before)
	}
	if h.svc.Snapshot().LoggedIn || h.env.Get("ELIZAOS_CLOUD_API_KEY") != "" {
		t.Fatal("the app was logged in to the attacker's account")
	}

	// The app's own session still works, and keeps answering after it completed.
	key := h.login()
	for range 2 {
		m := h.expect("GET", "/api/cloud/login/status?sessionId="+h.svc.Snapshot().Login.SessionID, "", 200)
		if m["status"] != "authenticated" || !strings.HasPrefix(key, m["keyPrefix"].(string)) {
			t.Fatalf("own completed session answered %v", m)
		}
	}
	// A foreign session polled while logged in does not replace the key.
	if m := h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200); m["status"] != "expired" {
		t.Fatalf("foreign session answered %v while logged in", m)
	}
	if got := h.env.Get("ELIZAOS_CLOUD_API_KEY"); got != key {
		t.Fatal("the key changed after polling a foreign session")
	}
	if m := h.expect("GET", "/api/cloud/login/status?sessionId=", "", 400); m["error"] != "sessionId query parameter is required" {
		t.Fatalf("empty id answered %v", m)
	}
}

// TestLoginStatusRandomIDsNeverReachCloud: 10,000 polls of made-up ids
// (including huge ones) cost the cloud nothing.
func TestLoginStatusRandomIDsNeverReachCloud(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sim.ResetRequests()
	const polls, workers = 10000, 8
	huge := strings.Repeat("x", 64<<10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := map[string]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for i := w; i < polls; i += workers {
				b := make([]byte, 16)
				_, _ = rand.Read(b)
				id := hex.EncodeToString(b)
				if i%1000 == 0 {
					id = huge + id
				}
				res, err := c.Get(h.srv.URL + "/api/cloud/login/status?sessionId=" + url.QueryEscape(id))
				if err != nil {
					mu.Lock()
					bad[err.Error()]++
					mu.Unlock()
					continue
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					mu.Lock()
					bad[res.Status]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("unexpected answers: %v", bad)
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Fatalf("%d polls of made-up ids caused %d requests to the cloud", polls, n)
	}
}
