package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestOpenHandsTheTokenInTheFragment: `open` checks the instance answers,
// then opens the dashboard with the token in the fragment (never the query,
// which would reach server logs).
func TestOpenHandsTheTokenInTheFragment(t *testing.T) {
	t.Parallel()
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{"ok":true,"app":"milady-cloud","version":"x"}`))
	}))
	t.Cleanup(srv.Close)
	port := strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	env := map[string]string{"MILADY_PORT": port, "MILADY_API_TOKEN": "tok123", "MILADY_STATE_DIR": t.TempDir()}
	var opened string
	var out, errOut bytes.Buffer
	e := &Env{Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errOut,
		Open: func(u string) error { opened = u; return nil }}
	if code := Run(context.Background(), e, []string{"open"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if opened != "http://127.0.0.1:"+port+"/#token=tok123" || auth != "Bearer tok123" || strings.Contains(out.String(), "tok123") {
		t.Fatalf("opened %q (auth %q), printed %q", opened, auth, out.String())
	}
}

// TestStreamReply: chunks are written as they come; an error event and a
// stream cut short are errors, not an empty reply.
func TestStreamReply(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in, out, err string
	}{
		{"chunks", "event: chunk\ndata: {\"text\":\"hel\"}\n\nevent: chunk\ndata: {\"text\":\"lo\"}\n\nevent: done\ndata: {}\n\n", "hello", ""},
		{"error", "event: chunk\ndata: {\"text\":\"a\"}\n\nevent: error\ndata: {\"error\":\"agent gone\"}\n\n", "a", "agent gone"},
		{"cut short", "event: chunk\ndata: {\"text\":\"a\"}\n\n", "a", "ended before"},
	} {
		var w bytes.Buffer
		_, err := streamReply(strings.NewReader(c.in), &w)
		if w.String() != c.out || (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: wrote %q, err %v; want %q, %q", c.name, w.String(), err, c.out, c.err)
		}
	}
}
