package main

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// loopbackAlias is a host name other than "localhost" that resolves only to
// loopback addresses (from /etc/hosts), so a test can bind "elsewhere" as
// far as the app can tell while all traffic stays on this machine.
func loopbackAlias(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/etc/hosts")
	if err != nil {
		t.Skip("no /etc/hosts:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
		if len(fields) < 2 || fields[0] != "127.0.0.1" {
			continue
		}
		for _, name := range fields[1:] {
			if name == "localhost" {
				continue
			}
			addrs, err := net.LookupHost(name)
			if err != nil || len(addrs) == 0 {
				continue
			}
			ok := true
			for _, a := range addrs {
				ip := net.ParseIP(a)
				ok = ok && ip != nil && ip.To4() != nil && ip.IsLoopback()
			}
			if ok {
				return name
			}
		}
	}
	t.Skip("no loopback alias other than localhost in /etc/hosts")
	return ""
}

// TestBindElsewhereDashboardLink: bound to a non-loopback name without
// MILADY_API_TOKEN, the app generates a token, prints neither it nor a link
// carrying it, and writes the #token= link to a 0600 file beside api-token;
// the dashboard's own origin there passes the gate with that token.
func TestBindElsewhereDashboardLink(t *testing.T) {
	t.Parallel()
	alias := loopbackAlias(t)
	h := testbin.NewHome(t)
	p := testbin.Start(t, "bound", binPath, h.Env(nil), "--headless", "--sim", "--bind", alias, "--port", "0")
	m, err := p.WaitFor(p.Stdout, regexp.MustCompile(`Milady Cloud dashboard: (http://`+regexp.QuoteMeta(alias)+`:(\d+))/`), startBound)
	if err != nil {
		t.Fatal(err)
	}
	base, port := m[1], m[2]
	tokenB, err := os.ReadFile(filepath.Join(h.State, "api-token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokenB))
	linkFile := filepath.Join(h.State, "dashboard-url")
	st, err := os.Stat(linkFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", linkFile, st.Mode().Perm())
	}
	link, _ := os.ReadFile(linkFile)
	if got, want := strings.TrimSpace(string(link)), base+"/#token="+token; got != want {
		t.Errorf("dashboard link %q, want %q", got, want)
	}
	// The dashboard as a browser on its own origin would call the API.
	c := &http.Client{}
	req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/api/cloud/status", nil)
	req.Host = alias + ":" + port
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != base {
		t.Errorf("the dashboard's own origin: HTTP %d, CORS %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	req.Header.Del("Authorization")
	if res, err := c.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("without the token: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	(&instance{Proc: p, url: base}).stop(t, syscall.SIGTERM)
	for name, out := range map[string]string{"stdout": p.Stdout.String(), "stderr": p.Stderr.String()} {
		if strings.Contains(out, token) {
			t.Errorf("%s carries the generated token:\n%s", name, out)
		}
	}
	if !strings.Contains(p.Stderr.String(), linkFile) && !strings.Contains(p.Stderr.String(), strconv.Quote(linkFile)) {
		t.Errorf("the log does not name %s:\n%s", linkFile, p.Stderr.String())
	}
}
