package httpserve_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/httpserve"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Short limits so each test takes well under a second of waiting; bound is
// only how long a broken server may hang a test.
const (
	bodyTimeout = 200 * time.Millisecond
	idleTimeout = 300 * time.Millisecond
	bound       = 10 * time.Second
)

// serve runs srv on a loopback port until the test ends.
func serve(t *testing.T, h http.Handler, o httpserve.Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpserve.New(h, o)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// readAllBody answers 200 with the body's length, or 400 when it cannot be
// read, as the REST API's handlers do.
var readAllBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "Could not read the request body", http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d", len(b))
})

// A chunked body that starts and never ends is cut once the body deadline
// passes: the handler's read fails, and the connection is closed, instead
// of the connection and its goroutine being held forever.
func TestNeverEndingBodyIsCut(t *testing.T) {
	addr := serve(t, readAllBody, httpserve.Options{BodyTimeout: bodyTimeout})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a body that never ends: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Fatalf("a body that never ended was accepted: %d", res.StatusCode)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after the cut body (read: %v)", err)
	}
	if el := time.Since(start); el < bodyTimeout {
		t.Errorf("cut after %s, before the %s deadline", el, bodyTimeout)
	}
}

// A body that arrives in time is read whole, and the connection stays
// usable for the next request.
func TestBodyInTimeKeepsConnection(t *testing.T) {
	addr := serve(t, readAllBody, httpserve.Options{BodyTimeout: bodyTimeout, IdleTimeout: bound})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(c)
	for i := range 2 {
		if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "5" {
			t.Fatalf("request %d: %d %q", i, res.StatusCode, b)
		}
	}
}

// An idle keep-alive connection is closed after the idle timeout.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	addr := serve(t, readAllBody, httpserve.Options{IdleTimeout: idleTimeout})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	idleSince := time.Now()
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection not closed by the server (read: %v)", err)
	}
	if el := time.Since(idleSince); el < idleTimeout/2 {
		t.Errorf("closed after %s idle, well before the %s idle timeout", el, idleTimeout)
	}
}

// The event stream of the real REST API stays open past the body deadline
// and keeps receiving its pings: no read deadline is armed for a request
// without a body.
func TestEventStreamOutlivesBodyDeadline(t *testing.T) {
	dir := t.TempDir()
	svc, db := apptest.NewService(t, apptest.ServiceConfig{
		ConfigPath: filepath.Join(dir, "milady.json"),
		StateDir:   filepath.Join(dir, "state"),
		Options:    app.Options{BaseURL: "https://www.elizacloud.ai"},
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		_ = svc.Shutdown(ctx)
		_ = db.Close()
	})
	h := api.New(api.Options{Backend: svc, Agents: svc.Agents(), Chat: svc.Chat(), Billing: svc.Billing(), PingInterval: 20 * time.Millisecond})
	addr := serve(t, h, httpserve.Options{BodyTimeout: bodyTimeout, IdleTimeout: idleTimeout})

	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/cloud/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	start := time.Now()
	after := 3 * idleTimeout // past both the body deadline and the idle timeout
	sc := bufio.NewScanner(res.Body)
	pingsAfter := 0
	for sc.Scan() {
		if sc.Text() == ": ping" && time.Since(start) > after {
			if pingsAfter++; pingsAfter == 3 {
				return
			}
		}
	}
	t.Fatalf("the event stream ended after %s (%v); want it open past %s", time.Since(start), sc.Err(), after)
}

// A request with a body whose response then streams for longer than the
// body deadline (the chat stream) is neither cut nor cancelled.
func TestStreamAfterBodyOutlivesDeadline(t *testing.T) {
	streamFor := 3 * bodyTimeout
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc := http.NewResponseController(w)
		end := time.Now().Add(streamFor)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for time.Now().Before(end) {
			select {
			case <-r.Context().Done():
				return // cancelled: the client sees the stream end early
			case <-tick.C:
				fmt.Fprint(w, "chunk\n")
				_ = rc.Flush()
			}
		}
		fmt.Fprint(w, "done\n")
	})
	addr := serve(t, h, httpserve.Options{BodyTimeout: bodyTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/", strings.NewReader(`{"text":"hi"}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || !strings.HasSuffix(string(b), "done\n") {
		t.Fatalf("stream cut: err %v, got %q", err, b)
	}
}
