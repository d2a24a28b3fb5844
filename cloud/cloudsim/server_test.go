package cloudsim

import (
	"crypto/tls"
	"net/http"
	"testing"
)

func TestServesHTTPSWithItsOwnTrustPool(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	r := call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 200)
	if r.body["balance"] != 25.0 {
		t.Fatalf("balance = %v, want 25", r.body["balance"])
	}
	// A client without the pool must refuse the certificate.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}}
	if res, err := plain.Get(s.URL() + "/api/v1/credits/balance"); err == nil {
		res.Body.Close()
		t.Fatal("untrusted client connected; want certificate error")
	}
	if len(s.CertPEM()) == 0 || s.CertPool() == nil {
		t.Fatal("missing certificate material")
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if _, err := s.HTTPClient().Get(s.URL() + "/api/v1/user"); err == nil {
		t.Fatal("request after Close succeeded")
	}
}
