package cloud

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// rebindingResolver answers first with first, then always with later: the
// DNS answer an attacker changes between validation and connection.
type rebindingResolver struct {
	first, later string
	calls        atomic.Int32
}

func (r *rebindingResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	ip := r.later
	if r.calls.Add(1) == 1 {
		ip = r.first
	}
	return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
}

// countingListener is a live local TCP listener; acceptedWithin reports
// whether any connection reached it.
func countingListener(t *testing.T) (*net.TCPListener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener), ln.Addr().(*net.TCPAddr).Port
}

// sawConnection reports whether a connection is waiting on ln. A dial that
// had reached the listener would already sit in the accept backlog, so a
// short deadline is enough.
func sawConnection(t *testing.T, ln *net.TCPListener) bool {
	t.Helper()
	if err := ln.SetDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err == nil {
		c.Close()
		return true
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("accept: %v", err)
	}
	return false
}

func TestDialRebindingToLoopbackIsRefused(t *testing.T) {
	ln, port := countingListener(t)
	res := &rebindingResolver{first: "93.184.216.34", later: "127.0.0.1"}
	c, err := NewClient(ClientOptions{BaseURL: "https://rebind.example:" + strconv.Itoa(port), APIKey: "eliza_test", Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	_, err = c.Balance(context.Background())
	if !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("Balance after rebinding = %v, want ErrBlockedURL", err)
	}
	if errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v matches more than one kind", err)
	}
	if res.calls.Load() < 2 {
		t.Fatalf("resolver asked %d times; the dial should resolve again", res.calls.Load())
	}
	if sawConnection(t, ln) {
		t.Fatal("the loopback listener received a connection")
	}
}

func TestDialContextControlRefusesLiteral(t *testing.T) {
	ln, port := countingListener(t)
	_, err := URLPolicy{}.DialContext(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
	if !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("DialContext(127.0.0.1) = %v, want ErrBlockedURL", err)
	}
	if sawConnection(t, ln) {
		t.Fatal("the listener received a connection")
	}
	// With AllowLoopback the same dial connects.
	conn, err := URLPolicy{AllowLoopback: true}.DialContext(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("DialContext with AllowLoopback: %v", err)
	}
	conn.Close()
	if !sawConnection(t, ln) {
		t.Fatal("allowed dial did not reach the listener")
	}
}

func TestDialContextRefusesLocalNames(t *testing.T) {
	p := URLPolicy{Resolver: fakeResolver{"localhost": {"127.0.0.1"}}}
	if _, err := p.DialContext(context.Background(), "tcp", "localhost:443"); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("DialContext(localhost) = %v, want blocked", err)
	}
}

// tlsServer is an httptest TLS server answering a balance; its certificate
// names 127.0.0.1 and example.com.
func tlsServer(t *testing.T) (*httptest.Server, *x509.CertPool, string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"balance":3.25}`))
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool, strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
}

func TestAllowLoopbackAdmitsOnlyLoopback(t *testing.T) {
	_, pool, port := tlsServer(t)
	ctx := context.Background()

	// A name resolving to 127.0.0.1 (at check and at dial) is fine.
	c, err := NewClient(ClientOptions{BaseURL: "https://example.com:" + port, APIKey: "k", RootCAs: pool, AllowLoopback: true,
		Resolver: fakeResolver{"example.com": {"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if bal, err := c.Balance(ctx); err != nil || bal != 3.25 {
		t.Fatalf("Balance via loopback = %v, %v", bal, err)
	}
	c.CloseIdleConnections()

	// 10.0.0.1 stays refused, at check time ...
	c, _ = NewClient(ClientOptions{BaseURL: "https://example.com:" + port, APIKey: "k", RootCAs: pool, AllowLoopback: true,
		Resolver: fakeResolver{"example.com": {"10.0.0.1"}}})
	if _, err := c.Balance(ctx); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("Balance via 10.0.0.1 = %v, want blocked", err)
	}
	// ... and at dial time after a rebinding answer.
	c, _ = NewClient(ClientOptions{BaseURL: "https://example.com:" + port, APIKey: "k", RootCAs: pool, AllowLoopback: true,
		Resolver: &rebindingResolver{first: "93.184.216.34", later: "10.0.0.1"}})
	if _, err := c.Balance(ctx); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("Balance rebinding to 10.0.0.1 = %v, want blocked", err)
	}
	// A literal 127.0.0.1 base works with AllowLoopback and not without.
	c, _ = NewClient(ClientOptions{BaseURL: "https://127.0.0.1:" + port, APIKey: "k", RootCAs: pool, AllowLoopback: true})
	if _, err := c.Balance(ctx); err != nil {
		t.Fatalf("Balance via literal loopback = %v", err)
	}
	c.CloseIdleConnections()
	if _, err := NewClient(ClientOptions{BaseURL: "https://127.0.0.1:" + port, APIKey: "k", RootCAs: pool}); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("NewClient(loopback without AllowLoopback) = %v, want blocked", err)
	}
}

// TestDNSFailureFailsClosed: an unresolvable host is refused before any
// connection, and reported as unreachable (the machine may be offline).
func TestDNSFailureFailsClosed(t *testing.T) {
	c, err := NewClient(ClientOptions{BaseURL: "https://nxdomain.example", APIKey: "k", Resolver: fakeResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Balance(context.Background())
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrBlockedURL) {
		t.Fatalf("Balance with failing DNS = %v, want ErrUnreachable only", err)
	}
	if err := (URLPolicy{Resolver: fakeResolver{}}).Check(context.Background(), "https://nxdomain.example"); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("Check with failing DNS = %v, want blocked", err)
	}
}
