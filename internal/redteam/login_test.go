//go:build redteam

package redteam

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// attackLoginCSRF: a web page makes the browser GET the login status of a
// session the attacker approved in their own account (an <img>, so no
// Origin). The app must answer "expired" without asking the cloud and keep
// the user's key; random ids must never reach the cloud either.
func attackLoginCSRF(a *attack) {
	h, sim, env := simHome(a)
	app := start(a, h, env)
	key := login(a, app, sim)

	// The attacker's session, created and approved at the cloud directly.
	sid := randomID()
	r, err := do(sim.HTTPClient(), "POST", sim.URL()+"/api/auth/cli-session", nil, map[string]any{"sessionId": sid})
	if err != nil || r.status != 201 {
		a.fatal("setup: create the attacker's session at the simulator: %v %v", err, r)
	}
	r, err = do(sim.HTTPClient(), "POST", sim.URL()+"/__sim/sessions/"+sid+"/approve", nil, map[string]any{})
	if err != nil || r.status != 200 {
		a.fatal("setup: approve the attacker's session: %v %v", err, r)
	}
	r, err = do(hc, "GET", app.url+"/api/cloud/login/status?sessionId="+sid, nil, nil)
	switch {
	case err != nil:
		a.fail("foreign session: %v", err)
	case r.status != 200 || r.json()["status"] != "expired":
		a.fail("foreign approved session answered %s, want 200 {status:\"expired\"}", r)
	}
	if now := configKey(h.Config); now != key {
		a.fail("the foreign session logged the app in to the attacker's account: cloud.apiKey was replaced")
	}

	// 1,000 made-up ids.
	sim.ResetRequests()
	var bad atomic.Int32
	var firstBad atomic.Value
	var wg sync.WaitGroup
	ids := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				r, err := do(hc, "GET", app.url+"/api/cloud/login/status?sessionId="+id, nil, nil)
				if err != nil || r.status != 200 || r.json()["status"] != "expired" {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, fmt.Sprintf("%v %v", err, r))
				}
			}
		}()
	}
	for i := range 1000 {
		id := randomID()
		if i%2 == 1 {
			id = "x-" + strings.Repeat("A", i%200) // not even id-shaped
		}
		ids <- id
	}
	close(ids)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		a.fail("%d of 1000 random session ids did not answer 200 expired (first: %v)", n, firstBad.Load())
	}
	if n := sim.CountRequests("GET", "/api/auth/cli-session/"); n > 0 {
		a.fail("%d of 1000 random session ids were forwarded to the cloud as polls", n)
	}
	a.pass("foreign approved session answered expired, key unchanged; 1000 random ids → 0 upstream polls")
}

// attackCrossSite: browsers mark cross-site requests with Sec-Fetch-Site;
// foreign loopback ports are other programs' pages; Milady's app shell
// must still get through its preflight.
func attackCrossSite(a *attack) {
	h, _, env := simHome(a)
	env["MILADY_ALLOWED_ORIGINS"] = "https://allowed.example"
	app := start(a, h, env)
	own := app.url
	other := fmt.Sprintf("http://127.0.0.1:%d", testbin.FreePort(a.t))
	otherName := fmt.Sprintf("http://localhost:%d", testbin.FreePort(a.t))
	login := app.url + "/api/cloud/login"
	post := func(hdr map[string]string) (resp, bool) {
		r, err := do(hc, "POST", login, hdr, map[string]any{})
		if err != nil {
			a.fail("POST /api/cloud/login %v: %v", hdr, err)
			return r, false
		}
		return r, true
	}
	const crossMsg, originMsg = "Forbidden — cross-site request", "Origin not allowed"
	refused := []struct {
		hdr  map[string]string
		msgs []string
	}{
		{map[string]string{"Sec-Fetch-Site": "cross-site"}, []string{crossMsg}},
		{map[string]string{"Sec-Fetch-Site": "same-site"}, []string{crossMsg}},
		{map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, []string{crossMsg, originMsg}},
		{map[string]string{"Sec-Fetch-Site": "same-site", "Origin": other}, []string{crossMsg, originMsg}},
		{map[string]string{"Origin": other}, []string{originMsg}},
		{map[string]string{"Origin": otherName}, []string{originMsg}},
	}
	for _, c := range refused {
		r, ok := post(c.hdr)
		if !ok {
			continue
		}
		msg, _ := r.json()["error"].(string)
		if r.status != 403 || !contains(c.msgs, msg) {
			a.fail("POST /api/cloud/login with %v answered %s, want 403 %q", c.hdr, r, c.msgs[0])
		} else if acao := r.header.Get("Access-Control-Allow-Origin"); acao != "" {
			a.fail("refused request with %v still got Access-Control-Allow-Origin %q", c.hdr, acao)
		}
	}
	for _, c := range []map[string]string{
		{"Origin": own, "Sec-Fetch-Site": "same-origin"},
		{"Origin": "https://allowed.example", "Sec-Fetch-Site": "cross-site"},
	} {
		if r, ok := post(c); ok && (r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != c["Origin"]) {
			a.fail("allowed origin %v answered %s with Access-Control-Allow-Origin %q, want 200 and the origin echoed",
				c, r, r.header.Get("Access-Control-Allow-Origin"))
		}
	}
	pre, err := do(hc, "OPTIONS", app.url+"/api/cloud/status", map[string]string{
		"Origin": "capacitor://localhost", "Access-Control-Request-Method": "GET",
		"Access-Control-Request-Headers": "x-milady-client-id, content-type",
	}, nil)
	allow := strings.ToLower(pre.header.Get("Access-Control-Allow-Headers"))
	if err != nil || pre.status/100 != 2 || pre.header.Get("Access-Control-Allow-Origin") != "capacitor://localhost" ||
		!strings.Contains(allow, "x-milady-client-id") || !strings.Contains(allow, "content-type") {
		a.fail("preflight from capacitor://localhost asking for X-Milady-Client-Id: %v %v, Allow-Origin %q, Allow-Headers %q",
			err, pre, pre.header.Get("Access-Control-Allow-Origin"), allow)
	}
	a.pass("cross-site/same-site → 403, foreign loopback ports → 403 Origin not allowed, own and listed origins allowed with CORS, capacitor preflight allows X-Milady-Client-Id")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// attackURLCredentials: a base URL carrying user:password must never be
// echoed (responses, events, log).
func attackURLCredentials(a *attack) {
	const secret = "secretpass"
	h := testbin.NewHome(a.t)
	// A loopback address without MILADY_CLOUD_ALLOW_LOOPBACK: the URL
	// policy refuses it, so nothing leaves the machine, and the refusal is
	// the error path that echoed the URL.
	must(a, os.WriteFile(h.Config, []byte(`{"cloud": {"baseUrl": "https://user:`+secret+`@127.0.0.1:1"}}`), 0o600))
	app := start(a, h, nil)
	var leaks []string
	for _, q := range []struct{ method, path string }{
		{"POST", "/api/cloud/login"},
		{"GET", "/api/cloud/login/status?sessionId=" + randomID()},
		{"GET", "/api/cloud/status"},
		{"GET", "/api/cloud/credits?fresh=1"},
		{"GET", "/api/cloud/agents"},
		{"POST", "/api/settings"},
	} {
		var body any
		if q.method == "POST" {
			body = map[string]any{}
		}
		r, err := do(hc, q.method, app.url+q.path, nil, body)
		if err != nil {
			a.fail("%s %s: %v", q.method, q.path, err)
		} else if strings.Contains(string(r.body), secret) {
			leaks = append(leaks, fmt.Sprintf("%s %s (%s)", q.method, q.path, r))
		}
	}
	if snap, err := firstSnapshot(app); err != nil {
		a.fail("%v", err)
	} else if strings.Contains(fmt.Sprint(snap), secret) {
		leaks = append(leaks, "the event stream's snapshot")
	}
	if msg := app.stop(); msg != "" {
		a.fail("%s", msg)
	}
	if strings.Contains(app.Stderr.String()+app.Stdout.String(), secret) {
		leaks = append(leaks, "the console log")
	}
	if files := filesContaining([]byte(secret), h.State); len(files) > 0 {
		leaks = append(leaks, fmt.Sprintf("state files %v", rel(h.Root, files)))
	}
	if len(leaks) > 0 {
		a.fail("the password of https://user:%s@… was echoed in: %s", secret, strings.Join(leaks, ", "))
	}
	a.pass("the URL's password appeared in no response, event or log")
}
