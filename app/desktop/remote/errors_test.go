package remote_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/desktop/remote"
	"github.com/milady-ai/milady-cloud/cloud"
)

// TestErrorAnswers: a refused call fails with the REST API's message (what
// the page shows in a browser), the kind the API mapped to the status,
// and the status itself.
func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()
	h.b.AgentErrFn = func(_ context.Context, method, _ string) error {
		switch method {
		case "DisconnectAgent":
			return fmt.Errorf("disconnect: %w", cloud.ErrNotConnected)
		case "SuspendAgent":
			return &cloud.HTTPError{Status: 404, Message: "Agent not found"}
		}
		return cloud.ErrReconnecting
	}
	h.b.ConnectAgentFn = func(context.Context, string) (app.ConnectResult, error) {
		return app.ConnectResult{}, app.ErrNotLoggedIn
	}
	h.b.TopUpFn = func(context.Context, int) (app.TopUpResponse, error) {
		return app.TopUpResponse{}, app.InvalidInput("No browser available")
	}

	_, err := h.c.Agents().Connect(ctx, agentID)
	checkAPIError(t, err, http.StatusUnauthorized, app.KindNotLoggedIn, app.ErrNotLoggedIn.Error())
	checkAPIError(t, h.c.Agents().Disconnect(ctx, agentID), http.StatusConflict, app.KindConflict, "disconnect: not connected to a cloud agent")
	checkAPIError(t, h.c.Agents().Suspend(ctx, agentID), http.StatusNotFound, app.KindNotFound, "Agent not found")
	checkAPIError(t, h.c.Agents().Resume(ctx, agentID), http.StatusServiceUnavailable, app.KindReconnecting, cloud.ErrReconnecting.Error())
	_, err = h.c.Billing().TopUp(ctx, 5)
	checkAPIError(t, err, http.StatusBadRequest, app.KindInvalidInput, "No browser available")
	// The API's own validation, before the fake is called.
	_, err = h.c.Agents().Get(ctx, "not-a-uuid")
	checkAPIError(t, err, http.StatusBadRequest, app.KindInvalidInput, "Invalid agent ID or cloud not connected")
	_, err = h.c.Billing().Usage(ctx, 721, 0)
	checkAPIError(t, err, http.StatusBadRequest, app.KindInvalidInput, "hours must be an integer from 1 to 720")
	if calls := h.b.CallsTo("Usage"); len(calls) != 0 {
		t.Errorf("the fake was called for an invalid usage window: %v", calls)
	}
}

// TestNoAnswer: when the parent is gone, calls fail with the dashboard's
// "cannot reach" words, the methods without an error return answer zero
// values (credits with the error) and log it.
func TestNoAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.srv.Close()
	ctx := t.Context()

	_, err := h.c.Agents().List(ctx)
	var ae *app.Error
	if err == nil || err.Error() != remote.UnreachableMessage || !errors.As(err, &ae) || ae.Kind != app.KindUnavailable {
		t.Fatalf("List with the parent gone: %v, want %q of kind unavailable", err, remote.UnreachableMessage)
	}
	if s := h.c.Snapshot(); s.Version != "" || s.LoggedIn {
		t.Errorf("Snapshot with the parent gone = %+v, want the zero snapshot", s)
	}
	if s := h.c.Status(ctx); s.Connected || s.Connection.State != "" {
		t.Errorf("Status with the parent gone = %+v, want the zero view", s)
	}
	if cr := h.c.Billing().Credits(ctx, false); cr.Balance != nil || cr.Error != remote.UnreachableMessage {
		t.Errorf("Credits with the parent gone = %+v, want no balance and the error", cr)
	}
	logs := h.log.String()
	for _, want := range []string{"could not read the snapshot", "could not read the status", "could not read the credits"} {
		if !strings.Contains(logs, "level=WARN msg=\"remote: "+want+"\"") {
			t.Errorf("no warning %q in the log:\n%s", want, logs)
		}
	}
}

// TestUnreadableAnswer: a 2xx answer that is not the expected JSON is an
// error, not a zero value passed off as the parent's answer.
func TestUnreadableAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>not the API</html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := remote.New(remote.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Agents().List(t.Context()); err == nil {
		t.Fatal("an HTML answer was decoded as an agent list")
	}
	// An error answer without the API's JSON keeps its status in the words.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway from a proxy", http.StatusBadGateway)
	}))
	t.Cleanup(bad.Close)
	if c, err = remote.New(remote.Config{BaseURL: bad.URL}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Agents().List(t.Context())
	checkAPIError(t, err, http.StatusBadGateway, app.KindUpstream, "HTTP 502: bad gateway from a proxy")
}

// TestToken: against an API with a token, the client's token makes calls
// pass; a wrong or missing one is refused with the API's answer. Health
// needs none (the window's version check runs before anything else).
func TestToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{serverToken: "s3cret", clientToken: "s3cret"})
	ctx := t.Context()
	if _, err := h.c.Agents().List(ctx); err != nil {
		t.Fatalf("List with the right token: %v", err)
	}
	if err := h.c.SetNotifications(ctx, true); err != nil {
		t.Fatalf("SetNotifications with the right token: %v", err)
	}
	for _, token := range []string{"wrong", ""} {
		c := h.client(t, token)
		_, err := c.Agents().List(ctx)
		checkAPIError(t, err, http.StatusUnauthorized, app.KindNotLoggedIn, "Unauthorized")
		if v, err := c.Health(ctx); err != nil || v != "9.9.9" {
			t.Errorf("Health with token %q = %q, %v", token, v, err)
		}
	}
	if n := len(h.b.CallsTo("ListAgents")); n != 1 {
		t.Errorf("ListAgents reached the fake %d times, want only the call with the right token", n)
	}
}
