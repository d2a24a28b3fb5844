package cloud

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// fakeResolver answers from a table; unknown names fail like NXDOMAIN.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[strings.ToLower(host)]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, 0, len(ips))
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

// resolverFunc adapts a function to Resolver.
type resolverFunc func(ctx context.Context, host string) ([]net.IPAddr, error)

func (f resolverFunc) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return f(ctx, host)
}

var testDNS = fakeResolver{
	"www.elizacloud.ai": {"76.76.21.21"},
	"example.com":       {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
	"internal.example":  {"10.0.0.5"},
	"mixed.example":     {"93.184.216.34", "127.0.0.1"},
	"meta.example":      {"169.254.169.254"},
	"ula.example":       {"fd00::1"},
	"mapped.example":    {"::ffff:127.0.0.1"},
	"cgnat.example":     {"100.64.1.1"},
	"localhost":         {"127.0.0.1", "::1"},
	"evil-localhost":    {"10.0.0.1"},
	"empty.example":     {},
}

func TestNormalizeBaseURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", DefaultBaseURL},
		{"   ", DefaultBaseURL},
		{"https://www.elizacloud.ai", "https://www.elizacloud.ai"},
		{" https://www.elizacloud.ai/ ", "https://www.elizacloud.ai"},
		{"https://www.elizacloud.ai/api/v1", "https://www.elizacloud.ai"},
		{"https://www.elizacloud.ai/api/v1/", "https://www.elizacloud.ai"},
		{"https://www.elizacloud.ai/API/V1//", "https://www.elizacloud.ai"},
		{"https://www.elizacloud.ai/api/v1/api/v1/", "https://www.elizacloud.ai"},
		{"https://self.example/cloud/api/v1", "https://self.example/cloud"},
		{"https://127.0.0.1:8443///", "https://127.0.0.1:8443"},
	}
	for _, c := range cases {
		got, err := NormalizeBaseURL(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeBaseURL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"www.elizacloud.ai", "https://", "https://x.example/?q=1", "https://x.example/#f", "://x", "https://[::1"} {
		if got, err := NormalizeBaseURL(bad); err == nil {
			t.Errorf("NormalizeBaseURL(%q) = %q, want an error", bad, got)
		}
	}
}

type policyCase struct {
	url  string
	ok   bool
	why  string // substring of the reason when refused
	loop bool   // AllowLoopback
}

var policyCases = []policyCase{
	// Allowed.
	{url: "https://www.elizacloud.ai", ok: true},
	{url: "https://WWW.ElizaCloud.AI/", ok: true},
	{url: "https://example.com:8443/path", ok: true},
	{url: "https://8.8.8.8", ok: true},
	{url: "https://[2606:4700::1111]", ok: true},
	{url: "https://[::ffff:8.8.8.8]", ok: true},
	{url: "https://[64:ff9b::808:808]", ok: true},
	{url: "https://[2002:808:808::1]", ok: true},
	// Scheme and shape.
	{url: "http://www.elizacloud.ai", why: "only https"},
	{url: "ftp://www.elizacloud.ai", why: "only https"},
	{url: "www.elizacloud.ai", why: "only https"},
	{url: "", why: "only https"},
	{url: "https://", why: "no host"},
	{url: "https:opaque", why: "no host"},
	{url: "https://user:pw@www.elizacloud.ai", why: "credentials"},
	{url: "https://www.elizacloud.ai:0", why: "invalid port"},
	{url: "https://www.elizacloud.ai:70000", why: "invalid port"},
	{url: "https://bad_host!.example", why: "characters other than"},
	{url: "https://exa%20mple.com", why: "not a valid URL"},
	{url: "https://ex..ample.com", why: "invalid host"},
	{url: "https://пример.рф", why: "punycode"},
	// Local names.
	{url: "https://localhost", why: "localhost"},
	{url: "https://LOCALHOST.:443", why: "localhost"},
	{url: "https://api.localhost", why: "localhost"},
	{url: "https://printer.local", why: "mDNS"},
	{url: "https://printer.LOCAL.", why: "mDNS"},
	// IPv4 literals.
	{url: "https://127.0.0.1", why: "loopback"},
	{url: "https://127.1.2.3:8443", why: "loopback"},
	{url: "https://10.1.2.3", why: "private"},
	{url: "https://172.16.0.1", why: "private"},
	{url: "https://172.31.255.255", why: "private"},
	{url: "https://192.168.1.1", why: "private"},
	{url: "https://100.64.0.1", why: "carrier-grade NAT"},
	{url: "https://100.127.255.255", why: "carrier-grade NAT"},
	{url: "https://169.254.169.254/latest/meta-data", why: "metadata"},
	{url: "https://169.254.1.1", why: "link-local"},
	{url: "https://192.0.2.1", why: "documentation"},
	{url: "https://198.51.100.7", why: "documentation"},
	{url: "https://203.0.113.9", why: "documentation"},
	{url: "https://198.18.0.1", why: "benchmarking"},
	{url: "https://198.19.255.255", why: "benchmarking"},
	{url: "https://224.0.0.1", why: "multicast"},
	{url: "https://239.255.255.250", why: "multicast"},
	{url: "https://0.0.0.0", why: "this network"},
	{url: "https://0.1.2.3", why: "this network"},
	{url: "https://240.0.0.1", why: "reserved"},
	{url: "https://255.255.255.255", why: "reserved"},
	{url: "https://192.0.0.8", why: "IETF"},
	// Numeric spellings (inet_aton).
	{url: "https://2130706433", why: "127.0.0.1, a loopback"},
	{url: "https://0x7f000001", why: "127.0.0.1, a loopback"},
	{url: "https://0X7F000001/", why: "127.0.0.1, a loopback"},
	{url: "https://127.1", why: "127.0.0.1, a loopback"},
	{url: "https://127.0.1", why: "127.0.0.1, a loopback"},
	{url: "https://0177.0.0.1", why: "127.0.0.1, a loopback"},
	{url: "https://0x7f.0.0.1", why: "127.0.0.1, a loopback"},
	{url: "https://017700000001", why: "127.0.0.1, a loopback"},
	{url: "https://127.0.0.1.", why: "127.0.0.1, a loopback"},
	{url: "https://3232235777", why: "192.168.1.1, a private"},
	{url: "https://0xa9fea9fe", why: "169.254.169.254"},
	{url: "https://2852039166", why: "169.254.169.254"},
	{url: "https://0x", why: "0.0.0.0"},
	{url: "https://134744072", why: "non-canonical"},
	{url: "https://8.8.8.8.", why: "non-canonical"},
	{url: "https://08.8.8.8", why: "not a valid IPv4"},
	{url: "https://256.1.1.1", why: "not a valid IPv4"},
	{url: "https://1.2.3.4.5", why: "not a valid IPv4"},
	{url: "https://999999999999", why: "not a valid IPv4"},
	{url: "https://1.2.3.0x100", why: "not a valid IPv4"},
	{url: "https://foo.123", why: "not a valid IPv4"},
	// IPv6 literals.
	{url: "https://[::1]", why: "loopback"},
	{url: "https://[::]", why: "unspecified"},
	{url: "https://[fc00::1]", why: "unique local"},
	{url: "https://[fd12:3456::1]", why: "unique local"},
	{url: "https://[fe80::1]", why: "link-local"},
	{url: "https://[fe80::1%25eth0]", why: "scoped"},
	{url: "https://[ff02::1]", why: "multicast"},
	{url: "https://[2001:db8::1]", why: "documentation"},
	{url: "https://[3fff::1]", why: "documentation"},
	{url: "https://[2001::1]", why: "Teredo"},
	{url: "https://[2001:2::1]", why: "benchmarking"},
	{url: "https://[fec0::1]", why: "reserved"},
	{url: "https://[100::1]", why: "reserved"},
	{url: "https://[::127.0.0.1]", why: "reserved"},
	{url: "https://[::ffff:127.0.0.1]", why: "loopback"},
	{url: "https://[::ffff:7f00:1]", why: "loopback"},
	{url: "https://[::ffff:169.254.169.254]", why: "metadata"},
	{url: "https://[::ffff:10.0.0.1]", why: "private"},
	{url: "https://[64:ff9b::7f00:1]", why: "NAT64 address embedding 127.0.0.1"},
	{url: "https://[64:ff9b::a00:1]", why: "NAT64 address embedding 10.0.0.1"},
	{url: "https://[64:ff9b:1::1]", why: "reserved"},
	{url: "https://[2002:7f00:1::1]", why: "6to4 address embedding 127.0.0.1"},
	{url: "https://[2002:a9fe:a9fe::1]", why: "6to4 address embedding 169.254.169.254"},
	// Resolved names.
	{url: "https://internal.example", why: "resolves to 10.0.0.5, a private"},
	{url: "https://mixed.example", why: "resolves to 127.0.0.1, a loopback"},
	{url: "https://meta.example", why: "metadata"},
	{url: "https://ula.example", why: "unique local"},
	{url: "https://mapped.example", why: "resolves to 127.0.0.1"},
	{url: "https://cgnat.example", why: "carrier-grade NAT"},
	{url: "https://nxdomain.example", why: "cannot resolve"},
	{url: "https://empty.example", why: "cannot resolve"},
	// AllowLoopback admits localhost, 127/8 and ::1 only.
	{url: "https://localhost", ok: true, loop: true},
	{url: "https://localhost:8443/", ok: true, loop: true},
	{url: "https://127.0.0.1:8443", ok: true, loop: true},
	{url: "https://127.9.9.9", ok: true, loop: true},
	{url: "https://[::1]:8443", ok: true, loop: true},
	{url: "https://[::ffff:127.0.0.1]", ok: true, loop: true},
	{url: "https://www.elizacloud.ai", ok: true, loop: true},
	{url: "http://127.0.0.1", why: "only https", loop: true},
	{url: "https://10.0.0.1", why: "private", loop: true},
	{url: "https://192.168.0.10", why: "private", loop: true},
	{url: "https://169.254.169.254", why: "metadata", loop: true},
	{url: "https://0.0.0.0", why: "this network", loop: true},
	{url: "https://[::]", why: "unspecified", loop: true},
	{url: "https://[fe80::1]", why: "link-local", loop: true},
	{url: "https://[64:ff9b::7f00:1]", why: "NAT64", loop: true},
	{url: "https://2130706433", why: "non-canonical", loop: true},
	{url: "https://api.localhost", why: "localhost", loop: true},
	{url: "https://printer.local", why: "mDNS", loop: true},
	{url: "https://internal.example", why: "private", loop: true},
	{url: "https://evil-localhost", why: "private", loop: true},
}

func TestURLPolicyCheck(t *testing.T) {
	for _, c := range policyCases {
		p := URLPolicy{AllowLoopback: c.loop, Resolver: testDNS}
		err := p.Check(context.Background(), c.url)
		if c.ok {
			if err != nil {
				t.Errorf("Check(%q, loopback=%v) = %v, want allowed", c.url, c.loop, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Check(%q, loopback=%v) allowed, want refused (%s)", c.url, c.loop, c.why)
			continue
		}
		var ue *URLError
		if !errors.As(err, &ue) || !errors.Is(err, ErrBlockedURL) {
			t.Errorf("Check(%q) = %T %v, want *URLError matching ErrBlockedURL", c.url, err, err)
			continue
		}
		if ue.URL != c.url || !strings.Contains(err.Error(), RedactURL(c.url)) {
			t.Errorf("Check(%q) error %q does not name the URL", c.url, err)
		}
		if !strings.Contains(ue.Reason, c.why) {
			t.Errorf("Check(%q) reason %q, want it to mention %q", c.url, ue.Reason, c.why)
		}
	}
}

// TestURLPolicyLocalhostResolvingElsewhere: with AllowLoopback, the name
// "localhost" is admitted only when it resolves to loopback.
func TestURLPolicyLocalhostResolvingElsewhere(t *testing.T) {
	p := URLPolicy{AllowLoopback: true, Resolver: fakeResolver{"localhost": {"10.1.1.1"}}}
	if err := p.Check(context.Background(), "https://localhost"); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("Check = %v, want blocked", err)
	}
}

func TestCheckSyntaxNeverResolves(t *testing.T) {
	p := URLPolicy{Resolver: resolverFunc(func(context.Context, string) ([]net.IPAddr, error) {
		t.Error("CheckSyntax used DNS")
		return nil, errors.New("no")
	})}
	if err := p.CheckSyntax("https://www.elizacloud.ai"); err != nil {
		t.Fatalf("CheckSyntax = %v", err)
	}
	if err := p.CheckSyntax("https://2130706433"); !errors.Is(err, ErrBlockedURL) {
		t.Fatalf("CheckSyntax(numeric loopback) = %v, want blocked", err)
	}
}

func TestParseInetAton(t *testing.T) {
	cases := map[string]string{
		"2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1", "127.1": "127.0.0.1",
		"0177.0.0.1": "127.0.0.1", "1.2.3": "1.2.0.3", "1.0x10203": "1.1.2.3",
		"0": "0.0.0.0", "0x": "0.0.0.0", "4294967295": "255.255.255.255", "1.2.3.4": "1.2.3.4",
		"00": "0.0.0.0", "010.1": "8.0.0.1",
	}
	for in, want := range cases {
		got, ok := parseInetAton(in)
		if !ok || got.String() != want {
			t.Errorf("parseInetAton(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "4294967296", "1.16777216", "1.2.65536", "256.0.0.1", "1.2.3.256", "08", "0x1g", "1..2", "1.2.3.4.5", "-1", "1.2.3.", " 1"} {
		if got, ok := parseInetAton(bad); ok {
			t.Errorf("parseInetAton(%q) = %v, want invalid", bad, got)
		}
	}
}

// oracleBlocked is an independent statement of the blocked ranges, written
// with netip's classifiers plus the special-purpose registries, for the
// fuzz target to hold the implementation against.
func oracleBlocked(a netip.Addr, allowLoopback bool) bool {
	if a.Zone() != "" {
		return true
	}
	a = a.Unmap()
	if allowLoopback && a.IsLoopback() {
		return false
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || !a.IsGlobalUnicast() {
		return true
	}
	if a.Is6() {
		b := a.As16()
		if netip.MustParsePrefix("64:ff9b::/96").Contains(a) {
			return oracleBlocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), false)
		}
		if netip.MustParsePrefix("2002::/16").Contains(a) {
			return oracleBlocked(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), false)
		}
		if !netip.MustParsePrefix("2000::/3").Contains(a) {
			return true
		}
	}
	for _, p := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"2001::/23", "2001:db8::/32", "3fff::/20"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

func publicResolver() Resolver {
	return resolverFunc(func(context.Context, string) ([]net.IPAddr, error) {
		return []net.IPAddr{{IP: net.ParseIP("93.184.216.34")}}, nil
	})
}

// FuzzURLPolicy: Check never panics, only returns *URLError, and never
// admits a URL whose literal host is in a blocked range (checked against
// oracleBlocked) or is a numeric spelling other than a canonical address.
func FuzzURLPolicy(f *testing.F) {
	for _, c := range policyCases {
		f.Add(c.url)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, loop := range []bool{false, true} {
			p := URLPolicy{AllowLoopback: loop, Resolver: publicResolver()}
			err := p.Check(context.Background(), raw)
			if err != nil {
				var ue *URLError
				if !errors.As(err, &ue) || !errors.Is(err, ErrBlockedURL) {
					t.Fatalf("Check(%q) = %T %v, want *URLError", raw, err, err)
				}
				continue
			}
			u, perr := url.Parse(raw)
			if perr != nil {
				t.Fatalf("Check admitted unparseable %q", raw)
			}
			if !strings.EqualFold(u.Scheme, "https") {
				t.Fatalf("Check admitted non-https %q", raw)
			}
			host := u.Hostname()
			if a, aerr := netip.ParseAddr(host); aerr == nil {
				if oracleBlocked(a, loop) {
					t.Fatalf("Check(loopback=%v) admitted %q whose host %s is in a blocked range", loop, raw, a)
				}
			} else {
				name := strings.TrimSuffix(host, ".")
				if isNumericLabel(name[strings.LastIndexByte(name, '.')+1:]) {
					t.Fatalf("Check admitted non-canonical numeric host %q", raw)
				}
				if lower := strings.ToLower(name); lower == "localhost" && !loop || strings.HasSuffix(lower, ".localhost") || strings.HasSuffix(lower, ".local") {
					t.Fatalf("Check admitted local name %q", raw)
				}
			}
			if err := p.CheckSyntax(raw); err != nil {
				t.Fatalf("Check admitted %q but CheckSyntax refuses it: %v", raw, err)
			}
		}
	})
}
