package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// DialContext connects to addr ("host:port") for the client's transport.
// It resolves the name itself (through the policy's Resolver) and dials
// each answer with a net.Dialer whose Control hook range-checks the exact
// IP being connected to. Check validated the URL before the request, but a
// DNS answer can change in between (rebinding); the Control hook runs after
// resolution and before connect(2), so no blocked address is ever reached.
func (p URLPolicy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		if _, _, uerr := p.checkSyntax("https://" + addr); uerr != nil {
			return nil, uerr
		}
		answers, err := p.resolver().LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		for _, a := range answers {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				ips = append(ips, ip.WithZone(a.Zone))
			}
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	d := net.Dialer{Timeout: 30 * time.Second, Control: p.control}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	// Prefer the policy's verdict so the caller sees ErrBlockedURL rather
	// than a generic dial failure when every address was refused.
	for _, err := range errs {
		if errors.Is(err, ErrBlockedURL) {
			return nil, err
		}
	}
	return nil, errors.Join(errs...)
}

// control is the net.Dialer hook: address is the literal "ip:port" about to
// be connected.
func (p URLPolicy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &URLError{URL: address, Reason: "cannot parse the address being dialled"}
	}
	ip := ap.Addr()
	if ip.Zone() != "" {
		return &URLError{URL: address, Reason: "scoped addresses are not allowed"}
	}
	if why := p.blockedReason(ip); why != "" {
		return &URLError{URL: address, Reason: fmt.Sprintf("connection to %s refused at dial time: %s", ip.Unmap(), why)}
	}
	return nil
}
