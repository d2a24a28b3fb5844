package single

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeInstance is a server on a loopback port that answers GET /api/health
// with the given body and records every POST /api/window/show.
type fakeInstance struct {
	srv *httptest.Server

	mu    sync.Mutex
	shows []*http.Request // the hand-off requests
	body  []string        // and their bodies
}

func newFake(t *testing.T, health string, showStatus int) *fakeInstance {
	t.Helper()
	f := &fakeInstance{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/health":
			_, _ = io.WriteString(w, health)
		case r.URL.Path == "/api/window/show":
			b, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			f.shows = append(f.shows, r)
			f.body = append(f.body, string(b))
			f.mu.Unlock()
			w.WriteHeader(showStatus)
			_, _ = io.WriteString(w, `{"ok":true,"shown":true}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInstance) addr() string { return f.srv.Listener.Addr().String() }

func (f *fakeInstance) showRequests() ([]*http.Request, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.shows...), append([]string(nil), f.body...)
}

const miladyHealth = `{"ok":true,"app":"milady-cloud","version":"1.2.3"}`

func TestListenFreePort(t *testing.T) {
	ln, handedOff, err := Listen("127.0.0.1:0", "")
	if err != nil || handedOff || ln == nil {
		t.Fatalf("Listen = %v, %t, %v; want a listener", ln, handedOff, err)
	}
	defer ln.Close()
	// It is a real listener: a client gets through.
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.Close()
		}
		done <- err
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestListenHandsOff: the port is held by Milady Cloud, so Listen asks it
// to show its window (with the token as Bearer when there is one).
func TestListenHandsOff(t *testing.T) {
	for _, token := range []string{"", "tok-123"} {
		t.Run("token="+strconv.FormatBool(token != ""), func(t *testing.T) {
			f := newFake(t, miladyHealth, http.StatusOK)
			ln, handedOff, err := Listen(f.addr(), token)
			if ln != nil || !handedOff || err != nil {
				t.Fatalf("Listen = %v, %t, %v; want handed off", ln, handedOff, err)
			}
			shows, bodies := f.showRequests()
			if len(shows) != 1 {
				t.Fatalf("window/show requests = %d, want 1", len(shows))
			}
			r := shows[0]
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || bodies[0] != "{}" {
				t.Fatalf("hand-off = %s %s %q, want POST of a JSON object", r.Method, r.Header.Get("Content-Type"), bodies[0])
			}
			wantAuth := ""
			if token != "" {
				wantAuth = "Bearer " + token
			}
			if got := r.Header.Get("Authorization"); got != wantAuth {
				t.Fatalf("Authorization = %q, want %q", got, wantAuth)
			}
		})
	}
}

// TestListenHandOffRefused: Milady Cloud is there but refuses the show
// request (e.g. a token mismatch): handedOff with an error saying why.
func TestListenHandOffRefused(t *testing.T) {
	f := newFake(t, miladyHealth, http.StatusUnauthorized)
	ln, handedOff, err := Listen(f.addr(), "")
	if ln != nil || !handedOff || err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("Listen = %v, %t, %v; want handed off with an HTTP 401 error", ln, handedOff, err)
	}
	if errors.Is(err, ErrForeign) {
		t.Fatal("a refusing Milady Cloud is not a foreign program")
	}
}

// TestListenForeign: whatever holds the port, if it does not answer the
// health probe as Milady Cloud, Listen returns ErrForeign and never sends
// the hand-off.
func TestListenForeign(t *testing.T) {
	cases := map[string]string{
		"other app":     `{"ok":true,"app":"some-other-app"}`,
		"not JSON":      `<html>hello</html>`,
		"no app field":  `{"ok":true}`,
		"app not a str": `{"ok":true,"app":1}`,
		"empty":         ``,
	}
	for name, health := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, health, http.StatusOK)
			ln, handedOff, err := Listen(f.addr(), "tok")
			if ln != nil || handedOff || !errors.Is(err, ErrForeign) {
				t.Fatalf("Listen = %v, %t, %v; want ErrForeign", ln, handedOff, err)
			}
			if !strings.Contains(err.Error(), f.addr()) {
				t.Fatalf("error %q does not name %s", err, f.addr())
			}
			if shows, _ := f.showRequests(); len(shows) != 0 {
				t.Fatalf("sent %d hand-off requests to a foreign program", len(shows))
			}
		})
	}
}

// TestListenForeignStatus: a Milady-looking body with a non-200 status is
// not trusted either.
func TestListenForeignStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, miladyHealth)
	}))
	defer srv.Close()
	_, handedOff, err := Listen(srv.Listener.Addr().String(), "")
	if handedOff || !errors.Is(err, ErrForeign) {
		t.Fatalf("Listen = %t, %v; want ErrForeign", handedOff, err)
	}
}

// TestListenForeignRedirect: a redirect from the probe is not followed (the
// probe must not be sent elsewhere), so the holder counts as foreign.
func TestListenForeignRedirect(t *testing.T) {
	target := newFake(t, miladyHealth, http.StatusOK)
	srv := httptest.NewServer(http.RedirectHandler(target.srv.URL+"/api/health", http.StatusFound))
	defer srv.Close()
	_, handedOff, err := Listen(srv.Listener.Addr().String(), "")
	if handedOff || !errors.Is(err, ErrForeign) {
		t.Fatalf("Listen = %t, %v; want ErrForeign", handedOff, err)
	}
	if shows, _ := target.showRequests(); len(shows) != 0 {
		t.Fatal("the hand-off followed a redirect")
	}
}

// TestListenForeignSilent: a holder that accepts and never answers is
// foreign once the probe's timeout passes; Listen does not hang.
func TestListenForeignSilent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	}()
	start := time.Now()
	_, handedOff, err := Listen(ln.Addr().String(), "")
	if handedOff || !errors.Is(err, ErrForeign) {
		t.Fatalf("Listen = %t, %v; want ErrForeign", handedOff, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Listen took %s against a silent holder", d)
	}
}

// TestListenWildcardProbesLoopback: for a wildcard bind address the probe
// goes to 127.0.0.1, where a local instance answers.
func TestListenWildcardProbesLoopback(t *testing.T) {
	f := newFake(t, miladyHealth, http.StatusOK)
	_, port, _ := net.SplitHostPort(f.addr())
	ln, handedOff, err := Listen("0.0.0.0:"+port, "")
	if ln != nil {
		// This system let the wildcard bind share the port; nothing to
		// probe then.
		_ = ln.Close()
		t.Skip("the system allowed binding 0.0.0.0 beside 127.0.0.1 on the same port")
	}
	if !handedOff || err != nil {
		t.Fatalf("Listen = %t, %v; want handed off via 127.0.0.1", handedOff, err)
	}
	if shows, _ := f.showRequests(); len(shows) != 1 {
		t.Fatalf("window/show requests = %d, want 1", len(shows))
	}
}

// TestListenOtherErrors: a listen failure that is not "address in use" is
// reported as it is, not as a foreign program or a hand-off.
func TestListenOtherErrors(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:99999", "127.0.0.1:no-such-service"} {
		ln, handedOff, err := Listen(addr, "")
		if ln != nil || handedOff || err == nil || errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), addr) {
			t.Fatalf("Listen(%q) = %v, %t, %v; want a plain error naming the address", addr, ln, handedOff, err)
		}
	}
}
