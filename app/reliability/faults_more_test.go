package reliability

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestUntrustedCertificate: a cloud whose certificate the app does not
// trust is unreachable, never half-trusted; every face says so clearly.
func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	t.Run("login", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, options{rootCAs: x509.NewCertPool()})
		if m := h.expect("POST", "/api/cloud/login", "", 502); m["error"] != "Failed to reach Eliza Cloud" {
			t.Errorf("login = %v", m)
		}
		// No session was started, so the poll answers without the cloud.
		st := h.expect("GET", "/api/cloud/login/status?sessionId=6a1f0c8e-2b7d-4c1e-9f3a-5d8e7b6c4a21", "", 200)
		if st["status"] != "expired" {
			t.Errorf("login status = %v", st)
		}
		if n := h.sim.CountRequests("", "/api/"); n != 0 {
			t.Errorf("the simulator logged %d requests over an untrusted connection", n)
		}
		h.alive()
	})
	t.Run("logged-in", func(t *testing.T) {
		t.Parallel()
		sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
		id := trustedAgent(t, sim)
		h := newHarness(t, options{sim: sim, key: sim.NewAPIKey(), rootCAs: x509.NewCertPool()})
		apptest.Eventually(t, waitLimit, "identity check", func() bool { return h.svc.Snapshot().IdentityChecked })
		if s := h.expect("GET", "/api/cloud/status", "", 200); s["reason"] != "api_key_present_not_authenticated" {
			t.Errorf("status = %v", s)
		}
		if c := h.expect("GET", "/api/cloud/credits?fresh=1", "", 200); c["balance"] != nil || c["error"] == nil {
			t.Errorf("credits = %v", c)
		}
		for _, r := range []resp{h.do("GET", "/api/cloud/agents", ""), h.do("POST", "/api/cloud/agents/"+id+"/connect", "")} {
			wantCloudError(t, r, faultCase{kind: kindReset})
			if msg := string(r.Body); !strings.Contains(msg, "certificate") {
				t.Errorf("error %s does not say the certificate was refused", msg)
			}
		}
		if c := h.connection(); c["state"] != "disconnected" || c["lastError"] == nil {
			t.Errorf("connection = %v", c)
		}
		h.alive()
	})
}

// trustedAgent creates an agent in sim with a client that trusts it.
func trustedAgent(t *testing.T, sim *cloudsim.Server) string {
	t.Helper()
	h := loggedIn(t, options{sim: sim})
	id := h.createAgent("Trusted")
	h.stop()
	return id
}

// TestJobPollOutageEndsInTimeout: a job poll that keeps failing is retried
// until the connect's bound, then the connect fails as a timeout with a
// message that says what did not finish, and the state ends disconnected
// with that reason kept.
func TestJobPollOutageEndsInTimeout(t *testing.T) {
	t.Parallel()
	h := loggedIn(t, options{connectTimeout: 1500 * time.Millisecond})
	id := h.createAgent("Stuck")
	rec, mark := h.record()
	h.sim.InjectFault(cloudsim.Fault{Method: "GET", Path: "/api/v1/jobs/", Status: 503,
		Body: `{"success":false,"error":"` + cloudMessage(503) + `"}`})
	r := h.do("POST", "/api/cloud/agents/"+id+"/connect", "")
	if r.Status != 504 {
		t.Fatalf("connect during a job-poll outage: %s, want 504", r)
	}
	msg, _ := r.Object(t)["error"].(string)
	t.Logf("error: %s", msg)
	if !strings.Contains(msg, "provision") {
		t.Errorf("error %q does not say that provisioning did not finish", msg)
	}
	wantFailedConnect(t, h, rec, mark)
	if n := h.sim.CountRequests("GET", "/api/v1/jobs/"); n < 2 {
		t.Errorf("%d job polls: the failed poll was not retried", n)
	}
	h.alive()
	h.sim.ClearFaults()
	h.connect(id)
	if c := h.connection(); c["state"] != string(cloud.StateConnected) {
		t.Fatalf("connection = %v", c)
	}
}
