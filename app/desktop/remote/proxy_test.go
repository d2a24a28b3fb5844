package remote_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/desktop/remote"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// pageRequest is a fetch as the page inside the window makes it: the
// window's origin and host, no token.
func pageRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "wails.localhost"
	req.Header.Set("Origin", "wails://wails")
	return req
}

// TestProxy: the page's GET goes through to the API with the token (the
// API refuses it without), its Origin kept (the API answers CORS for the
// window's origin) and the parent's Host; paths outside /api stay here.
func TestProxy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{serverToken: "s3cret"})
	snap := app.Snapshot{Version: "9.9.9", LoggedIn: true, KeyPrefix: "eliza_ab"}
	h.b.Push(snap)
	proxy := httptest.NewServer(remote.Proxy(remote.Config{BaseURL: h.srv.URL + "/", Token: "s3cret"}))
	t.Cleanup(proxy.Close)

	// Straight to the API the page's request is refused for its Host, and
	// with the Host fixed for the missing token: those are what the proxy
	// changes.
	direct := pageRequest(t, "GET", h.srv.URL+"/api/cloud/snapshot")
	for _, want := range []int{http.StatusForbidden, http.StatusUnauthorized} {
		res, err := http.DefaultClient.Do(direct)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("the page's request straight to the API (Host %q): %d, want %d", direct.Host, res.StatusCode, want)
		}
		direct = pageRequest(t, "GET", h.srv.URL+"/api/cloud/snapshot")
		direct.Host = ""
	}

	res, err := http.DefaultClient.Do(pageRequest(t, "GET", proxy.URL+"/api/cloud/snapshot"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/cloud/snapshot through the proxy: %d %s", res.StatusCode, body)
	}
	want, _ := json.Marshal(snap)
	if string(body) != string(want) {
		t.Errorf("snapshot through the proxy\n got %s\nwant %s", body, want)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "wails://wails" {
		t.Errorf("Access-Control-Allow-Origin %q: the window's Origin did not reach the API", got)
	}
	h.lastCall(t, "Snapshot")

	res, err = http.DefaultClient.Do(pageRequest(t, "GET", proxy.URL+"/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /index.html through the proxy: %d, want 404 (not the API's)", res.StatusCode)
	}
}

// TestProxyStreams: the event stream flows through the proxy event by
// event while it stays open.
func TestProxyStreams(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{serverToken: "s3cret"})
	subs := feed(h)
	proxy := httptest.NewServer(remote.Proxy(remote.Config{BaseURL: h.srv.URL, Token: "s3cret"}))
	t.Cleanup(proxy.Close)

	req := pageRequest(t, "GET", proxy.URL+"/api/cloud/events")
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET /api/cloud/events through the proxy: %d %s", res.StatusCode, b)
	}
	parent := apptest.Receive(t, subs, wait, "the event stream to subscribe")
	sse := apptest.NewSSE(t, res.Body)
	snap := app.Snapshot{Version: "9.9.9"}
	parent.Send(t, app.Event{Type: app.EventSnapshot, Data: snap})
	if ev := sse.Event(); ev.Event != app.EventSnapshot {
		t.Fatalf("first event %+v, want the snapshot", ev)
	}
	// The second event is sent only after the first was read: a proxy
	// that buffered until the end would never deliver it.
	notice := app.Notice{Kind: "info", Level: "info", Message: "hello", At: testTime}
	parent.Send(t, app.Event{Type: app.EventNotice, Data: notice})
	want, _ := json.Marshal(notice)
	if ev := sse.Event(); ev.Event != app.EventNotice || ev.Data != string(want) {
		t.Fatalf("second event %+v, want notice %s", ev, want)
	}
}

// TestProxyParentGone: with the parent gone the page gets the API's error
// shape with the dashboard's "cannot reach" words.
func TestProxyParentGone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.srv.Close()
	proxy := httptest.NewServer(remote.Proxy(remote.Config{BaseURL: h.srv.URL}))
	t.Cleanup(proxy.Close)
	res, err := http.DefaultClient.Do(pageRequest(t, "GET", proxy.URL+"/api/cloud/status"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	var e struct{ Error string }
	if res.StatusCode != http.StatusBadGateway || json.Unmarshal(body, &e) != nil || e.Error != remote.UnreachableMessage {
		t.Fatalf("answer %d %s, want 502 {\"error\": %q}", res.StatusCode, body, remote.UnreachableMessage)
	}
}
