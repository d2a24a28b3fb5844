package cloud

import (
	"context"
	"strings"
	"testing"
)

// TestCredentialsNeverEchoed: a base URL with credentials is refused, and
// no error names the password (or a user name that may be a token).
func TestCredentialsNeverEchoed(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3tPass"
	for _, raw := range []string{
		"https://user:" + secret + "@cloud.example/",
		"https://" + secret + "@cloud.example/api/v1",
		"https://user:" + secret + "@cloud.example:99999/",
		"https://user:" + secret + "@clo ud.example/",
		"https://user:" + secret + "@cloud.example/?q=1",
		"http://user:" + secret + "@127.0.0.1:8443",
	} {
		var errs []error
		if _, err := NormalizeBaseURL(raw); err != nil {
			errs = append(errs, err)
		}
		if err := (URLPolicy{AllowLoopback: true}).CheckSyntax(raw); err != nil {
			errs = append(errs, err)
		}
		if err := (URLPolicy{}).Check(context.Background(), raw); err != nil {
			errs = append(errs, err)
		}
		if _, err := NewClient(ClientOptions{BaseURL: raw, AllowLoopback: true}); err != nil {
			errs = append(errs, err)
		} else {
			t.Errorf("%s: client created", raw)
		}
		if len(errs) == 0 {
			t.Errorf("%s: accepted everywhere", raw)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error echoes the credentials: %v", raw, err)
			}
		}
		if r := RedactURL(raw); strings.Contains(r, secret) || !strings.Contains(r, "xxxxx") {
			t.Errorf("RedactURL(%q) = %q", raw, r)
		}
	}
	if r := RedactURL("https://cloud.example/a@b"); r != "https://cloud.example/a@b" {
		t.Errorf("a URL without credentials changed: %q", r)
	}
	re := &RedirectError{Status: 302, Location: "https://u:" + secret + "@evil.example/"}
	if strings.Contains(re.Error(), secret) {
		t.Errorf("redirect error echoes the credentials: %v", re)
	}
}
