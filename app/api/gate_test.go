package api

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

const testToken = "s3cret-token-0123456789"

// TestHostGate: DNS-rebinding defence (docs/ARCHITECTURE.md, the REST gate).
func TestHostGate(t *testing.T) {
	t.Parallel()
	forbidden := errJSON("Forbidden — invalid Host header")
	ok := func(name, host string) apiCase {
		return apiCase{name: name, method: "GET", path: "/api/health", headers: map[string]string{"Host": host}, wantStatus: 200}
	}
	bad := func(name, host string) apiCase {
		return apiCase{name: name, method: "GET", path: "/api/health", headers: map[string]string{"Host": host},
			wantStatus: 403, wantJSON: forbidden, noCall: true}
	}
	runCases(t, []apiCase{
		ok("localhost with port", "localhost:2138"),
		ok("localhost", "localhost"),
		ok("LOCALHOST", "LOCALHOST:2138"),
		ok("127.0.0.1", "127.0.0.1"),
		ok("127.0.0.1 with port", "127.0.0.1:2138"),
		ok("::1 with port", "[::1]:2138"),
		ok("::1", "[::1]"),
		ok("bind host", "mybox.lan:2138"),
		bad("evil", "evil.example"),
		bad("evil with port", "evil.example:2138"),
		bad("localhost suffix", "localhost.evil.example"),
		bad("other loopback address", "127.0.0.2:2138"),
		bad("non-numeric port", "localhost:http"),
		bad("private address", "192.168.1.10:2138"),
		{name: "dashboard too", method: "GET", path: "/", headers: map[string]string{"Host": "evil.example"},
			wantStatus: 403, wantJSON: forbidden,
			wantHeader: map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}},
	}, func(o *Options) { o.BindHost = "MyBox.lan" })
}

// TestOriginGate: this app's own origin on its own port, the Wails and
// shell origins and configured origins; not every loopback port. CORS
// echoes only those.
func TestOriginGate(t *testing.T) {
	t.Parallel()
	allowed := func(origin string) apiCase {
		return apiCase{name: "allowed " + origin, method: "GET", path: "/api/cloud/status",
			headers: map[string]string{"Origin": origin}, wantStatus: 200,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": origin, "Vary": "Origin"}}
	}
	refused := func(origin string) apiCase {
		return apiCase{name: "refused " + origin, method: "GET", path: "/api/cloud/status",
			headers: map[string]string{"Origin": origin}, wantStatus: 403, wantJSON: errJSON("Origin not allowed"),
			wantHeader: map[string]string{"Access-Control-Allow-Origin": ""}, noCall: true}
	}
	cases := []apiCase{
		allowed("http://localhost:2138"),
		allowed("http://127.0.0.1:2138"),
		allowed("http://[::1]:2138"),
		allowed("HTTP://LOCALHOST:2138/"),
		allowed("wails://wails"),
		allowed("wails://wails.localhost"),
		allowed("http://wails.localhost"),
		allowed("capacitor://localhost"),
		allowed("capacitor-electron://-"),
		allowed("app://-"),
		allowed("https://app.example.com"),
		allowed("https://App.Example.com"),
		refused("http://localhost:5173"),
		refused("http://localhost"),
		refused("https://localhost:8443"),
		refused("https://127.0.0.1"),
		refused("http://127.0.0.1:9999"),
		refused("http://[::1]:3000"),
		refused("https://localhost:2138"),
		refused("https://evil.example"),
		refused("http://localhost.evil.example"),
		refused("null"),
		refused("file://"),
		refused("ftp://localhost"),
		refused("http://127.0.0.2:2138"),
		refused("https://app.example.com.evil.example"),
		refused("http://app.example.com"),
		refused("wails://evil"),
		refused("capacitor://evil"),
		{name: "no origin, no CORS", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "preflight", method: "OPTIONS", path: "/api/cloud/agents", wantStatus: 204, noCall: true,
			headers: map[string]string{"Origin": "capacitor://localhost", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "content-type,x-milady-client-id"},
			wantHeader: map[string]string{
				"Access-Control-Allow-Origin":  "capacitor://localhost",
				"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
				"Access-Control-Allow-Headers": "Authorization, Content-Type, X-Milady-Token, X-Api-Key, X-Milady-Client-Id",
			}},
		{name: "preflight from evil origin", method: "OPTIONS", path: "/api/cloud/agents", wantStatus: 403,
			headers: map[string]string{"Origin": "https://evil.example"}, wantJSON: errJSON("Origin not allowed")},
		{name: "preflight from another loopback port", method: "OPTIONS", path: "/api/cloud/agents", wantStatus: 403,
			headers: map[string]string{"Origin": "http://127.0.0.1:5173"}, wantJSON: errJSON("Origin not allowed")},
		{name: "host is checked before origin", method: "GET", path: "/api/health", wantStatus: 403,
			headers:  map[string]string{"Host": "evil.example", "Origin": "https://evil.example"},
			wantJSON: errJSON("Forbidden — invalid Host header")},
	}
	runCases(t, cases, func(o *Options) {
		o.Port = 2138
		o.AllowedOrigins = []string{" https://app.example.com/ ", ""}
	})
}

// TestOwnOriginFollowsPort: the own origins are those of the port actually
// listened on (as with --port 0), and the dashboard served by this very
// server is same-origin even when the port was not passed.
func TestOwnOriginFollowsPort(t *testing.T) {
	t.Parallel()
	for _, port := range []bool{true, false} {
		// The listener exists before the handler, as in main with --port 0.
		srv := httptest.NewUnstartedServer(nil)
		p := srv.Listener.Addr().(*net.TCPAddr).Port
		opts := newFake().options()
		if port {
			opts.Port = p
		}
		srv.Config.Handler = New(opts)
		srv.Start()
		t.Cleanup(srv.Close)
		ps := strconv.Itoa(p)
		check := func(origin, host string, want int) {
			t.Helper()
			resp, body := exchange(t, srv.Client(), srv.URL, apiCase{method: "GET", path: "/api/cloud/status",
				headers: map[string]string{"Origin": origin, "Host": host}})
			if resp.StatusCode != want {
				t.Errorf("port given %v: Origin %s, Host %s: status %d, want %d; %s", port, origin, host, resp.StatusCode, want, body)
			}
		}
		check("http://127.0.0.1:"+ps, "127.0.0.1:"+ps, 200) // same origin
		check("http://localhost:"+ps, "localhost:"+ps, 200)
		check("http://127.0.0.1:"+strconv.Itoa(p+1), "127.0.0.1:"+ps, 403)
		if port {
			check("http://localhost:"+ps, "127.0.0.1:"+ps, 200) // own origin, other loopback name
			check("http://[::1]:"+ps, "127.0.0.1:"+ps, 200)
		} else {
			check("http://localhost:"+ps, "127.0.0.1:"+ps, 403)
		}
	}
}

// TestBindOrigin: bound to a LAN address, the dashboard's own origin there
// is allowed; other hosts on that port are not.
func TestBindOrigin(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		{name: "bind origin", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers:    map[string]string{"Host": "192.168.1.7:2138", "Origin": "http://192.168.1.7:2138"},
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "http://192.168.1.7:2138"}},
		{name: "bind origin, loopback host", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers: map[string]string{"Origin": "http://192.168.1.7:2138"}},
		{name: "bind origin, other port", method: "GET", path: "/api/cloud/status", wantStatus: 403,
			headers: map[string]string{"Host": "192.168.1.7:2138", "Origin": "http://192.168.1.7:8080"}},
		{name: "other LAN host", method: "GET", path: "/api/cloud/status", wantStatus: 403,
			headers: map[string]string{"Origin": "http://192.168.1.8:2138"}},
	}, func(o *Options) { o.Port = 2138; o.BindHost = "192.168.1.7" })
}

// TestSecFetchSite: what a browser marks as made by another site is
// refused (even without an Origin, as an <img> sends none), before the
// token; a listed origin passes; scripts that send no such header do too.
func TestSecFetchSite(t *testing.T) {
	t.Parallel()
	crossSite := errJSON("Forbidden — cross-site request")
	hdr := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	runCases(t, []apiCase{
		{name: "img from another site", method: "GET", path: "/api/cloud/login/status?sessionId=x", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "cross-site"), wantJSON: crossSite, noCall: true},
		{name: "same-site", method: "POST", path: "/api/cloud/login", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "same-site"), wantJSON: crossSite, noCall: true},
		{name: "cross-site from own loopback origin", method: "GET", path: "/api/cloud/status", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Origin", "http://localhost:2138"), wantJSON: crossSite},
		{name: "cross-site preflight", method: "OPTIONS", path: "/api/cloud/status", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Origin", "http://localhost:2138"), wantJSON: crossSite},
		{name: "checked before the token", method: "GET", path: "/api/cloud/status", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "Cross-Site"), wantJSON: crossSite},
		{name: "host first", method: "GET", path: "/api/cloud/status", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Host", "evil.example"), wantJSON: errJSON("Forbidden — invalid Host header")},
		{name: "origin first", method: "GET", path: "/api/cloud/status", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), wantJSON: errJSON("Origin not allowed")},
		{name: "listed origin", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com", "X-Api-Key", testToken)},
		{name: "listed origin preflight", method: "OPTIONS", path: "/api/cloud/status", wantStatus: 204,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com")},
		{name: "Milady's shell", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Origin", "capacitor-electron://-", "X-Api-Key", testToken)},
		{name: "same-origin", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers: hdr("Sec-Fetch-Site", "same-origin", "X-Api-Key", testToken)},
		{name: "typed address", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers: hdr("Sec-Fetch-Site", "none", "X-Api-Key", testToken)},
		{name: "script", method: "GET", path: "/api/cloud/status", wantStatus: 200,
			headers: hdr("X-Api-Key", testToken)},
		{name: "link to the dashboard from another site", method: "GET", path: "/", wantStatus: 200,
			headers: hdr("Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate")},
		{name: "bare /api is API", method: "GET", path: "/api", wantStatus: 403,
			headers: hdr("Sec-Fetch-Site", "cross-site"), wantJSON: crossSite},
	}, func(o *Options) {
		o.Port = 2138
		o.Token = testToken
		o.AllowedOrigins = []string{"https://app.example.com"}
	})
}

// TestTokenGate: with a token, every /api request but GET /api/health needs
// it in one of three headers; a prefix or a near miss fails.
func TestTokenGate(t *testing.T) {
	t.Parallel()
	unauthorized := errJSON("Unauthorized")
	hdr := func(k, v string) map[string]string { return map[string]string{k: v} }
	denied := func(name string, h map[string]string) apiCase {
		return apiCase{name: name, method: "GET", path: "/api/cloud/status", headers: h,
			wantStatus: 401, wantJSON: unauthorized, noCall: true, wantHeader: map[string]string{"Cache-Control": "no-store"}}
	}
	granted := func(name string, h map[string]string) apiCase {
		return apiCase{name: name, method: "GET", path: "/api/cloud/status", headers: h, wantStatus: 200, wantCall: "Status"}
	}
	runCases(t, []apiCase{
		denied("missing", nil),
		denied("wrong", hdr("Authorization", "Bearer wrong")),
		denied("prefix", hdr("Authorization", "Bearer "+testToken[:10])),
		denied("token plus suffix", hdr("X-Milady-Token", testToken+"x")),
		denied("empty bearer", hdr("Authorization", "Bearer ")),
		denied("basic scheme", hdr("Authorization", "Basic "+testToken)),
		denied("raw authorization", hdr("Authorization", testToken)),
		denied("wrong api key", hdr("X-Api-Key", "nope")),
		granted("bearer", hdr("Authorization", "Bearer "+testToken)),
		granted("bearer lower-case scheme", hdr("Authorization", "bearer "+testToken)),
		granted("x-milady-token", hdr("X-Milady-Token", testToken)),
		granted("x-api-key", hdr("X-Api-Key", testToken)),
		{name: "health is open", method: "GET", path: "/api/health", wantStatus: 200},
		{name: "unknown api path needs token", method: "GET", path: "/api/nope", wantStatus: 401, wantJSON: unauthorized},
		{name: "post health needs token", method: "POST", path: "/api/health", wantStatus: 401},
		{name: "dashboard is open", method: "GET", path: "/", wantStatus: 200, wantSub: "Milady Cloud"},
		{name: "preflight needs no token", method: "OPTIONS", path: "/api/chat", wantStatus: 204,
			headers: hdr("Origin", "capacitor://localhost")},
		{name: "token checked before route", method: "POST", path: agentPath("bad", "provision"), wantStatus: 401, noCall: true},
	}, func(o *Options) { o.Token = testToken })
}

// TestBodyLimits: 1 MiB is accepted; one byte more is 413, whether the
// length is declared or the body is chunked.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	exact := `{"agentName":"big","pad":"` // padded below to exactly 1 MiB
	exact += strings.Repeat("a", 1<<20-len(exact)-2) + `"}`
	tooBig := exact[:len(exact)-2] + `a"}`
	if len(exact) != 1<<20 || len(tooBig) != 1<<20+1 {
		t.Fatalf("bad fixture sizes %d %d", len(exact), len(tooBig))
	}
	tooLarge := errJSON("Request body too large")
	runCases(t, []apiCase{
		{name: "1 MiB", method: "POST", path: "/api/cloud/agents", body: exact, wantStatus: 201, wantCall: "CreateAgent big"},
		{name: "1 MiB + 1", method: "POST", path: "/api/cloud/agents", body: tooBig, wantStatus: 413, wantJSON: tooLarge, noCall: true},
		{name: "1 MiB + 1 on a route without body", method: "POST", path: "/api/window/show", body: tooBig, wantStatus: 413, noCall: true},
	}, nil)

	// Chunked: no Content-Length, so the limit bites while reading.
	f := newFake()
	srv := newTestServer(t, f, nil)
	req, err := http.NewRequest("POST", srv.URL+"/api/chat", io.MultiReader(strings.NewReader(tooBig)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if req.ContentLength != 0 || resp.StatusCode != 413 || string(body) != tooLarge {
		t.Errorf("chunked oversize: length %d, status %d, body %s", req.ContentLength, resp.StatusCode, body)
	}
	if len(f.Calls()) != 0 {
		t.Errorf("Backend called: %q", f.Calls())
	}
}

// TestCommonHeaders: security headers on every answer; no-store and JSON
// only where due.
func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	sec := map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range sec {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	api := with(map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json; charset=utf-8"})
	runCases(t, []apiCase{
		{name: "api 200", method: "GET", path: "/api/cloud/status", wantStatus: 200, wantHeader: api},
		{name: "api 404", method: "GET", path: "/api/x", wantStatus: 404, wantHeader: api},
		{name: "api 405", method: "GET", path: "/api/chat", wantStatus: 405, wantHeader: api},
		{name: "api 400", method: "POST", path: "/api/chat", wantStatus: 400, wantHeader: api},
		{name: "api 401", method: "GET", path: "/api/cloud/agents", wantStatus: 401, wantHeader: api,
			setup: func(f *fakeBackend) { f.errs["ListAgents"] = notLoggedIn() }},
		{name: "dashboard", method: "GET", path: "/", wantStatus: 200,
			wantHeader: with(map[string]string{"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8"})},
	}, nil)
}

// TestSecretsNeverLogged: request credentials never reach the log, even at
// debug level and on failures.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	lw := &apptest.Buffer{} // handlers log concurrently
	logger := apptest.Logger(lw, slog.LevelDebug)
	f := newFake()
	f.errs["ListAgents"] = errFailing
	srv := newTestServer(t, f, func(o *Options) { o.Token = testToken; o.Logger = logger })
	for _, h := range []map[string]string{
		{"Authorization": "Bearer " + testToken},
		{"X-Api-Key": testToken},
		{"X-Milady-Token": testToken},
		{"Authorization": "Bearer eliza_wrong_key_value"},
	} {
		for _, p := range []string{"/api/cloud/status", "/api/cloud/agents", "/api/nope"} {
			exchange(t, srv.Client(), srv.URL, apiCase{method: "GET", path: p, headers: h})
		}
	}
	out := lw.String()
	if !strings.Contains(out, "api: request") {
		t.Fatalf("expected request log lines, got %q", out)
	}
	for _, secret := range []string{testToken, "eliza_wrong_key_value"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains a credential: %s", out)
		}
	}
}
