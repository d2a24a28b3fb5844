package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// NormalizeBaseURL turns a configured cloud URL into the site base: spaces
// trimmed, then trailing "/" and "/api/v1" stripped until neither is left
// (Milady's config documents the "/api/v1" form while its login code wants
// the site base). An empty value means the real cloud. It checks
// only the shape (scheme and host present, no query or fragment); whether
// the address may be contacted is URLPolicy's job.
func NormalizeBaseURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return DefaultBaseURL, nil
	}
	const apiSuffix = "/api/v1"
	for {
		if strings.HasSuffix(s, "/") {
			s = s[:len(s)-1]
		} else if len(s) >= len(apiSuffix) && strings.EqualFold(s[len(s)-len(apiSuffix):], apiSuffix) {
			s = s[:len(s)-len(apiSuffix)]
		} else {
			break
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", &URLError{URL: raw, Reason: "not a valid URL: " + unwrapURLParseError(err)}
	}
	if u.Scheme == "" || u.Host == "" {
		return "", &URLError{URL: raw, Reason: "the URL needs a scheme and a host, e.g. " + DefaultBaseURL}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", &URLError{URL: raw, Reason: "a base URL cannot carry a query or fragment"}
	}
	return s, nil
}

// RedactURL returns raw with any credentials masked, for errors, logs and
// answers: a base URL such as https://user:secret@host/ must never be
// echoed. It masks the user name too, which may itself be a token, and
// handles text that does not even parse as a URL.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if u.User == nil {
			return raw
		}
		u.User = url.User("xxxxx")
		return u.String()
	}
	// Unparseable: mask everything before the last '@' of the authority.
	if ui := userinfo(raw); ui != "" {
		return strings.Replace(raw, ui+"@", "xxxxx@", 1)
	}
	return raw
}

// userinfo is the text before the last '@' of raw's authority, found
// without parsing (raw may not parse), or "".
func userinfo(raw string) string {
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		rest = raw[i+3:]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at > 0 {
		return rest[:at]
	}
	return ""
}

// unwrapURLParseError drops url.Error's "parse <url>:" prefix, which would
// repeat the URL that URLError already names.
func unwrapURLParseError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// Resolver is the part of *net.Resolver the URL policy uses; tests inject a
// fake one to simulate DNS answers, including answers that change between
// the check and the dial (rebinding).
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// URLPolicy decides which cloud URLs the client may contact. The
// base URL comes from a user-editable config file shared with other tools,
// so it is treated as untrusted: only public HTTPS hosts are allowed, and
// the same address check runs again when each connection is dialled.
type URLPolicy struct {
	// AllowLoopback admits "localhost", 127.0.0.0/8 and ::1 (for the
	// simulator and self-hosted development); every other blocked range
	// stays blocked.
	AllowLoopback bool
	// Resolver answers DNS lookups; nil means net.DefaultResolver.
	Resolver Resolver
}

func (p URLPolicy) resolver() Resolver {
	if p.Resolver == nil {
		return net.DefaultResolver
	}
	return p.Resolver
}

// Check reports whether rawURL may be contacted: HTTPS, not a local host
// name, and neither its literal address nor any address its name resolves
// to in a blocked range. A DNS failure fails closed. The error is a
// *URLError naming the URL and the reason.
func (p URLPolicy) Check(ctx context.Context, rawURL string) error {
	if err, dnsErr := p.check(ctx, rawURL); err != nil {
		return err
	} else if dnsErr != nil {
		return &URLError{URL: rawURL, Reason: "cannot resolve the host (failing closed): " + dnsErr.Error()}
	}
	return nil
}

// CheckSyntax runs every check that needs no network: scheme, host name
// rules and literal or numeric addresses. NewClient uses it so that building
// a client never touches DNS.
func (p URLPolicy) CheckSyntax(rawURL string) error {
	_, _, err := p.checkSyntax(rawURL)
	if err != nil {
		return err
	}
	return nil
}

// check is Check with the DNS failure kept apart, so the client can report
// an offline machine as "unreachable" rather than "blocked" (the request is
// refused either way).
func (p URLPolicy) check(ctx context.Context, rawURL string) (blocked *URLError, dnsErr error) {
	host, literal, uerr := p.checkSyntax(rawURL)
	if uerr != nil {
		return uerr, nil
	}
	if literal {
		return nil, nil
	}
	answers, err := p.resolver().LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(answers) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, a := range answers {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return &URLError{URL: rawURL, Reason: fmt.Sprintf("host %s resolves to an unparseable address", host)}, nil
		}
		if a.Zone != "" {
			return &URLError{URL: rawURL, Reason: fmt.Sprintf("host %s resolves to a scoped address %s%%%s", host, ip, a.Zone)}, nil
		}
		if why := p.blockedReason(ip); why != "" {
			return &URLError{URL: rawURL, Reason: fmt.Sprintf("host %s resolves to %s, %s", host, ip.Unmap(), why)}, nil
		}
	}
	return nil, nil
}

// checkSyntax validates the URL without DNS. It returns the host name to
// resolve, or literal=true when the host is an address that has already
// passed the range check.
func (p URLPolicy) checkSyntax(rawURL string) (host string, literal bool, _ *URLError) {
	refuse := func(format string, args ...any) (string, bool, *URLError) {
		return "", false, &URLError{URL: rawURL, Reason: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return refuse("not a valid URL: %s", unwrapURLParseError(err))
	}
	if !strings.EqualFold(u.Scheme, "https") {
		if u.Scheme == "" {
			return refuse("only https URLs are allowed")
		}
		return refuse("only https URLs are allowed, not %s", u.Scheme)
	}
	if u.Opaque != "" {
		return refuse("the URL has no host")
	}
	if u.User != nil {
		return refuse("credentials in the URL are not allowed")
	}
	host = u.Hostname()
	if host == "" {
		return refuse("the URL has no host")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return refuse("invalid port %q", port)
		}
	}
	// An IPv6 literal (url.Parse has removed the brackets).
	if strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return refuse("invalid IPv6 address %q", host)
		}
		if ip.Zone() != "" {
			return refuse("scoped IPv6 address %s is not allowed", host)
		}
		if why := p.blockedReason(ip); why != "" {
			return refuse("%s is %s", host, why)
		}
		return host, true, nil
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return refuse("host name %q has characters other than letters, digits, '-', '_' and '.' (use the punycode form)", host)
		}
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, ".") {
		return refuse("invalid host name %q", host)
	}
	// Numeric hosts: the resolver (getaddrinfo/inet_aton) would read
	// "2130706433", "0x7f000001", "127.1" or "0177.0.0.1" as addresses, so
	// they are parsed the same way and only the canonical dotted quad of a
	// public address is accepted (as the WHATWG URL parser does, a name whose
	// last label is numeric is an address or nothing).
	if isNumericLabel(name[strings.LastIndexByte(name, '.')+1:]) {
		ip, ok := parseInetAton(name)
		if !ok {
			return refuse("host %q looks numeric but is not a valid IPv4 address", host)
		}
		if why := p.blockedReason(ip); why != "" {
			if ip.String() == host {
				return refuse("%s is %s", host, why)
			}
			return refuse("host %s is %s, %s", host, ip, why)
		}
		if ip.String() != host {
			return refuse("host %s is a non-canonical spelling of %s; write the address as %s", host, ip, ip)
		}
		return host, true, nil
	}
	switch {
	case name == "localhost":
		if p.AllowLoopback {
			return name, false, nil // still resolved and range-checked
		}
		return refuse("localhost is not allowed")
	case strings.HasSuffix(name, ".localhost"):
		return refuse("*.localhost names are not allowed")
	case name == "local" || strings.HasSuffix(name, ".local"):
		return refuse("*.local (mDNS) names are not allowed")
	}
	return host, false, nil
}

// isNumericLabel reports whether a DNS label is all decimal digits or a
// 0x-prefixed hex number, i.e. something inet_aton would read as a number.
func isNumericLabel(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		for i := 2; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseInetAton parses an IPv4 address the way BSD/glibc inet_aton does:
// one to four parts, each decimal, octal (leading 0) or hex (0x); the last
// part fills the remaining bytes ("127.1" = 127.0.0.1, "2130706433" =
// 127.0.0.1).
func parseInetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, part := range parts {
		v, ok := parseAtonPart(part)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	last := vals[len(vals)-1]
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		n |= v << (24 - 8*i)
	}
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func parseAtonPart(p string) (uint64, bool) {
	if p == "" {
		return 0, false
	}
	base := 10
	digits := p
	switch {
	case len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'):
		base, digits = 16, p[2:]
		if digits == "" {
			return 0, true // inet_aton reads a bare "0x" as zero
		}
	case len(p) > 1 && p[0] == '0':
		base, digits = 8, p[1:]
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil || v > 0xffffffff {
		return 0, false
	}
	return v, true
}

// blockedReason returns why ip may not be contacted, or "" when it may.
func (p URLPolicy) blockedReason(ip netip.Addr) string {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if p.AllowLoopback && ip.IsLoopback() {
		return ""
	}
	return blockedAddrReason(ip)
}

type blockedPrefix struct {
	prefix netip.Prefix
	why    string
}

func mustPrefixes(list ...string) []blockedPrefix {
	out := make([]blockedPrefix, 0, len(list)/2)
	for i := 0; i < len(list); i += 2 {
		out = append(out, blockedPrefix{netip.MustParsePrefix(list[i]), list[i+1]})
	}
	return out
}

// blocked4 and blocked6 are the special-purpose ranges (IANA registries) the
// client never contacts. IPv6 outside 2000::/3 is refused wholesale after
// the mapped and NAT64 forms have been unwrapped.
var (
	blocked4 = mustPrefixes(
		"0.0.0.0/8", "a 'this network' address (0.0.0.0/8)",
		"10.0.0.0/8", "a private address (10.0.0.0/8)",
		"100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)",
		"127.0.0.0/8", "a loopback address",
		"169.254.0.0/16", "a link-local address (169.254.0.0/16, cloud metadata)",
		"172.16.0.0/12", "a private address (172.16.0.0/12)",
		"192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)",
		"192.0.2.0/24", "a documentation address (192.0.2.0/24)",
		"192.88.99.0/24", "a reserved 6to4 relay address (192.88.99.0/24)",
		"192.168.0.0/16", "a private address (192.168.0.0/16)",
		"198.18.0.0/15", "a benchmarking address (198.18.0.0/15)",
		"198.51.100.0/24", "a documentation address (198.51.100.0/24)",
		"203.0.113.0/24", "a documentation address (203.0.113.0/24)",
		"224.0.0.0/4", "a multicast address",
		"240.0.0.0/4", "a reserved address (240.0.0.0/4, broadcast)",
	)
	blocked6 = mustPrefixes(
		"2001::/23", "an IETF protocol address (2001::/23, Teredo, benchmarking)",
		"2001:db8::/32", "a documentation address (2001:db8::/32)",
		"3fff::/20", "a documentation address (3fff::/20)",
	)
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	global6   = netip.MustParsePrefix("2000::/3")
)

// blockedAddrReason classifies an unmapped address without any loopback
// exception.
func blockedAddrReason(ip netip.Addr) string {
	if !ip.IsValid() {
		return "not a valid address"
	}
	if ip.Is4() {
		for _, b := range blocked4 {
			if b.prefix.Contains(ip) {
				return b.why
			}
		}
		return ""
	}
	b := ip.As16()
	switch {
	case ip.IsUnspecified():
		return "the unspecified address (::)"
	case ip.IsLoopback():
		return "a loopback address"
	case nat64.Contains(ip):
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if why := blockedAddrReason(v4); why != "" {
			return fmt.Sprintf("a NAT64 address embedding %s, %s", v4, why)
		}
		return ""
	case sixToFour.Contains(ip):
		v4 := netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		if why := blockedAddrReason(v4); why != "" {
			return fmt.Sprintf("a 6to4 address embedding %s, %s", v4, why)
		}
		return ""
	case ip.IsMulticast():
		return "a multicast address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (fe80::/10)"
	case ip.IsPrivate():
		return "a unique local address (fc00::/7)"
	case !global6.Contains(ip):
		return "a reserved IPv6 address (outside 2000::/3)"
	}
	for _, bp := range blocked6 {
		if bp.prefix.Contains(ip) {
			return bp.why
		}
	}
	return ""
}
