package remote_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/desktop/remote"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

const (
	agentID = "123e4567-e89b-12d3-a456-426614174000"
	wait    = 10 * time.Second // only guards against hangs
)

var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is the REST API over the shared fake Service, served on a
// loopback port, and a remote client of it.
type harness struct {
	b      *apptest.Backend
	srv    *httptest.Server
	c      *remote.Client
	opener *apptest.Opener
	clk    *clock.Fake
	log    *apptest.Buffer
}

// options configure newHarness.
type options struct {
	serverToken string // the API's token
	clientToken string // the client's token
	ping        time.Duration
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	h := &harness{
		b:      apptest.NewBackend(app.Snapshot{Version: "9.9.9", LoggedIn: true}),
		opener: &apptest.Opener{},
		clk:    clock.NewFake(testTime),
		log:    &apptest.Buffer{},
	}
	h.b.VersionFn = func() string { return "9.9.9" }
	h.srv = httptest.NewServer(api.New(api.Options{
		Backend: h.b, Agents: h.b.Agents(), Chat: h.b.Chat(), Billing: h.b.Billing(),
		Token: o.serverToken, PingInterval: o.ping,
		Logger: slog.New(slog.DiscardHandler),
	}))
	t.Cleanup(h.srv.Close)
	h.c = h.client(t, o.clientToken)
	return h
}

// client is a new client of the harness's API with token.
func (h *harness) client(t *testing.T, token string) *remote.Client {
	t.Helper()
	c, err := remote.New(remote.Config{
		BaseURL: h.srv.URL + "/",
		Token:   token,
		Opener:  h.opener,
		Logger:  apptest.Logger(h.log, slog.LevelDebug),
		Clock:   h.clk,
	})
	if err != nil {
		t.Fatalf("remote.New: %v", err)
	}
	return c
}

// lastCall is the fake's latest call to method, failing the test if there
// was none.
func (h *harness) lastCall(t *testing.T, method string) apptest.Call {
	t.Helper()
	calls := h.b.CallsTo(method)
	if len(calls) == 0 {
		t.Fatalf("no call to %s; calls: %v", method, h.b.Calls())
	}
	return calls[len(calls)-1]
}

// checkArgs asserts the arguments of the latest call to method.
func (h *harness) checkArgs(t *testing.T, method string, want ...any) {
	t.Helper()
	c := h.lastCall(t, method)
	if len(want) == 0 && len(c.Args) == 0 {
		return
	}
	if !reflect.DeepEqual(c.Args, want) {
		t.Errorf("%s called with %#v, want %#v", method, c.Args, want)
	}
}

// sameJSON asserts that got and want encode to the same JSON: the client
// decoded exactly what the fake answered.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("encode %s: %v", what, err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("encode expected %s: %v", what, err)
	}
	if string(g) != string(w) {
		t.Errorf("%s\n got %s\nwant %s", what, g, w)
	}
}

// checkAPIError asserts that err is the REST API's refusal: its message is
// the answer's text, the kind is the one the API mapped to the status, and
// the status is available.
func checkAPIError(t *testing.T, err error, status int, kind app.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want HTTP %d %q", status, msg)
	}
	if err.Error() != msg {
		t.Errorf("error %q, want the API's message %q", err.Error(), msg)
	}
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Kind != kind {
		t.Errorf("error %v: app.Error kind %v, want %v", err, ae, kind)
	}
	var se *remote.StatusError
	if !errors.As(err, &se) || se.Status != status {
		t.Errorf("error %v: StatusError %+v, want status %d", err, se, status)
	}
}

func testAgent(id string) *cloud.Agent {
	return &cloud.Agent{ID: id, AgentName: "Milady", Status: "running", CreatedAt: testTime, UpdatedAt: testTime}
}
