package app_test

import (
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

// TestRelayedCloudErrorCut: a 100 KB error message from the cloud reaches
// neither the REST answer nor the log whole: both carry at most 1 KiB of
// it, marked with an ellipsis.
func TestRelayedCloudErrorCut(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	huge := strings.Repeat("é", 50<<10) // 100 KB of two-byte characters
	h.sim.InjectFault(cloudsim.Fault{Method: "GET", Path: "/api/v1/milady/agents", Status: 500,
		Body: `{"success":false,"error":"` + huge + `"}`})
	r := h.do("GET", "/api/cloud/agents", "")
	if r.Status != 502 {
		t.Fatalf("status %d: %.200s", r.Status, r.Body)
	}
	msg, _ := r.Object(t)["error"].(string)
	if len(msg) > cloud.MaxRelayedMessage || !strings.HasSuffix(msg, "…") || !strings.HasPrefix(msg, "éé") {
		t.Fatalf("relayed message of %d bytes: %.40q…%q", len(msg), msg, msg[max(0, len(msg)-10):])
	}
	if len(r.Body) > 2<<10 {
		t.Errorf("answer of %d bytes", len(r.Body))
	}
	logs := h.logs.String()
	if !strings.Contains(logs, strings.Repeat("é", 100)) {
		t.Fatalf("the failure was not logged with the cloud's message: %.500s", logs)
	}
	if strings.Contains(logs, strings.Repeat("é", maxRun)) {
		t.Errorf("the log carries more than 1 KiB of the cloud's message (%d bytes of log)", len(logs))
	}
}

// maxRun is one more two-byte character than fits in 1 KiB.
const maxRun = cloud.MaxRelayedMessage/2 + 1
