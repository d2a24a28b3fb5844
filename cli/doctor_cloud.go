package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/cloud"
)

// maxSkew is the clock difference that earns a warning: login sessions
// and certificate validity are judged by the clock.
const maxSkew = 5 * time.Minute

// checkCloud checks the configured cloud step by step (URL policy, DNS,
// TLS, clock, key). It connects to that cloud and nowhere else; a step
// that fails skips the ones that need it.
func (d *doctor) checkCloud(ctx context.Context, s config.Settings) {
	base := s.BaseURL
	policy := cloud.URLPolicy{AllowLoopback: d.getenv("MILADY_CLOUD_ALLOW_LOOPBACK") == "1"}
	skip := func(names ...string) {
		for _, n := range names {
			d.add(n, "skip", "skipped (see above)", "")
		}
	}
	if err := policy.CheckSyntax(base); err != nil {
		d.add("cloud URL", "fail", err.Error(), `set "cloud": {"baseUrl": "`+config.DefaultBaseURL+`"} in milady.json, or remove baseUrl`)
		skip("DNS", "TLS", "clock", "API key")
		return
	}
	d.add("cloud URL", "ok", base, "")
	u, _ := url.Parse(base)
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}

	if net.ParseIP(host) != nil {
		d.add("DNS", "ok", host+" is an address; nothing to resolve", "")
	} else {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err := net.DefaultResolver.LookupIPAddr(rctx, host)
		cancel()
		if err != nil {
			d.add("DNS", "fail", "cannot resolve "+host+": "+err.Error(), "check the network connection and the DNS servers in /etc/resolv.conf")
			skip("TLS", "clock", "API key")
			return
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = policy.Check(cctx, base)
		cancel()
		if err != nil {
			d.add("DNS", "fail", err.Error(), "the name resolves to a private or local address: check /etc/hosts and your DNS")
			skip("TLS", "clock", "API key")
			return
		}
		d.add("DNS", "ok", fmt.Sprintf("%s → %d address(es)", host, len(addrs)), "")
	}

	roots, err := d.rootCAs()
	if err != nil {
		d.add("TLS", "fail", err.Error(), "point SSL_CERT_FILE at a readable PEM file, or unset it")
		skip("clock", "API key")
		return
	}
	tlsConf := &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	if !d.checkTLS(ctx, policy, net.JoinHostPort(host, port), tlsConf) {
		skip("clock", "API key")
		return
	}
	d.checkKey(ctx, policy, base, tlsConf, s.APIKey)
}

// rootCAs honours SSL_CERT_FILE from the doctor's environment, as Go does
// for the process (the file replaces the system's bundle); nil means the
// system's roots.
func (d *doctor) rootCAs() (*x509.CertPool, error) {
	file := d.getenv("SSL_CERT_FILE")
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read SSL_CERT_FILE: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SSL_CERT_FILE %s holds no certificate", file)
	}
	return pool, nil
}

func (d *doctor) checkTLS(ctx context.Context, policy cloud.URLPolicy, addr string, conf *tls.Config) bool {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := policy.DialContext(dctx, "tcp", addr)
	if err != nil {
		d.add("TLS", "fail", "cannot connect to "+addr+": "+err.Error(), "check the network connection and any firewall in between")
		return false
	}
	conn := tls.Client(raw, conf)
	defer conn.Close()
	err = conn.HandshakeContext(dctx)
	if err != nil {
		var unknown x509.UnknownAuthorityError
		var invalid x509.CertificateInvalidError
		var host x509.HostnameError
		switch {
		case errors.As(err, &unknown):
			d.add("TLS", "fail", "certificate of "+addr+" is not trusted: "+err.Error(),
				"if a proxy or antivirus inspects TLS, add its CA to the system store (update-ca-certificates) or to SSL_CERT_FILE; otherwise someone is intercepting the connection")
		case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
			d.add("TLS", "fail", "certificate of "+addr+" is expired or not yet valid: "+err.Error(), "check the clock: timedatectl set-ntp true")
		case errors.As(err, &host):
			d.add("TLS", "fail", err.Error(), "check cloud.baseUrl; the server's certificate is for another name")
		default:
			d.add("TLS", "fail", "handshake with "+addr+": "+err.Error(), "check the network connection and any proxy in between")
		}
		return false
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	left := leaf.NotAfter.Sub(d.now())
	detail := fmt.Sprintf("certificate valid, expires %s (in %d days), issued by %s", leaf.NotAfter.Format("2006-01-02"), int(left.Hours()/24), leaf.Issuer.CommonName)
	if left < 14*24*time.Hour {
		d.add("TLS", "warn", detail, "the cloud's certificate expires soon; nothing to do on your side")
	} else {
		d.add("TLS", "ok", detail, "")
	}
	return true
}

// checkKey asks GET /api/v1/user with the saved key (or none, for the
// clock alone) and judges the clock by the answer's Date header.
func (d *doctor) checkKey(ctx context.Context, policy cloud.URLPolicy, base string, conf *tls.Config, key string) {
	hc := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: policy.DialContext, TLSClientConfig: conf, Proxy: nil,
			ForceAttemptHTTP2: true},
		// Never follow a redirect: the key must reach the configured host only.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/user", nil)
	if err != nil {
		d.add("clock", "skip", "skipped", "")
		d.add("API key", "fail", err.Error(), "check cloud.baseUrl")
		return
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		d.add("clock", "skip", "skipped (no answer)", "")
		d.add("API key", "fail", "Eliza Cloud is unreachable: "+err.Error(), "check the network connection; the app retries by itself")
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))

	if date, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
		d.add("clock", "warn", "the server sent no Date to compare with", "")
	} else {
		skew := d.now().Sub(date).Round(time.Second)
		abs := skew
		if abs < 0 {
			abs = -abs
		}
		if abs > maxSkew {
			d.add("clock", "warn", fmt.Sprintf("this computer's clock is %s off the server's", skew), "turn on time sync: timedatectl set-ntp true")
		} else {
			d.add("clock", "ok", fmt.Sprintf("within %s of the server's", abs+time.Second), "")
		}
	}

	switch {
	case key == "":
		d.add("API key", "warn", "not logged in", "run `milady-cloud login`")
	case resp.StatusCode == http.StatusOK:
		var u struct {
			Data struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &u)
		who := u.Data.Email
		if who == "" {
			who = "user " + u.Data.ID
		}
		d.add("API key", "ok", "valid ("+who+")", "")
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		d.add("API key", "fail", fmt.Sprintf("rejected by Eliza Cloud (HTTP %d)", resp.StatusCode), "log in again: milady-cloud login")
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		d.add("API key", "fail", fmt.Sprintf("the cloud answered with a redirect (HTTP %d to %s), which is never followed", resp.StatusCode, cloud.RedactURL(resp.Header.Get("Location"))), "set cloud.baseUrl to the address it redirects to, if you trust it")
	default:
		d.add("API key", "fail", fmt.Sprintf("unexpected answer HTTP %d", resp.StatusCode), "Eliza Cloud may be down; try again later")
	}
}
