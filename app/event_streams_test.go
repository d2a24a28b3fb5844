package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app/api"
)

// TestEventStreamsBounded: at most 64 event streams are open at once, over
// real connections; the 65th is refused with 503 and Retry-After, and a
// closed stream frees its slot.
func TestEventStreamsBounded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}}
	t.Cleanup(client.CloseIdleConnections)
	ctx, cancelAll := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelAll()
	open := func() (*http.Response, context.CancelFunc) {
		t.Helper()
		sctx, cancel := context.WithCancel(ctx)
		req, err := http.NewRequestWithContext(sctx, "GET", h.srv.URL+"/api/cloud/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		return res, cancel
	}
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for i := range api.MaxEventStreams {
		res, cancel := open()
		cancels = append(cancels, cancel)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: HTTP %d", i+1, res.StatusCode)
		}
		// The first event proves the handler is running and holds its slot.
		line, err := bufio.NewReader(res.Body).ReadString('\n')
		if err != nil || line != "event: snapshot\n" {
			t.Fatalf("stream %d: first line %q, %v", i+1, line, err)
		}
	}
	refused := func() bool {
		t.Helper()
		res, cancel := open()
		if res.StatusCode == http.StatusOK {
			cancels = append(cancels, cancel) // stays open
			return false
		}
		defer cancel()
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		if res.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(b, &m) != nil || !strings.Contains(m["error"].(string), "event streams") {
			t.Fatalf("stream over the limit: HTTP %d %s", res.StatusCode, b)
		}
		if res.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		return true
	}
	if !refused() {
		t.Fatalf("stream %d was accepted", api.MaxEventStreams+1)
	}
	// Closing one stream frees its slot (the server notices the client
	// leaving, so this is polled with a deadline).
	cancels[0]()
	deadline := time.Now().Add(10 * time.Second)
	for refused() {
		if time.Now().After(deadline) {
			t.Fatal("a closed stream did not free its slot")
		}
	}
	if !refused() {
		t.Fatal("the freed slot was handed out twice")
	}
	h.expect("GET", "/api/health", "", 200)
}
