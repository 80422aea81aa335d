package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenTarget is wrapped by every refusal of a target address.
var ErrForbiddenTarget = errors.New("webhook: target address is not public")

// nonPublic are the special-purpose ranges (IANA's IPv4 and IPv6
// special-purpose registries) that netip's predicates do not cover and
// that a webhook must not reach: shared (carrier-grade NAT), protocol
// assignments, documentation, benchmarking, reserved, NAT64 (which can
// embed any IPv4 address), 6to4 and Teredo (which embed IPv4 too), and
// the deprecated site-local range.
var nonPublic = mustPrefixes(
	"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
	"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fec0::/10",
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// ParsePrefixes parses a list of CIDR prefixes or single addresses (the
// AGENTDESK_WEBHOOK_ALLOWED_NETWORKS setting).
func ParsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR prefix nor an address", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Guard decides which addresses webhooks may reach: public unicast
// addresses, plus the non-public ones inside Allowed (explicit
// configuration, e.g. an on-premises receiver, or loopback in tests).
type Guard struct {
	Allowed []netip.Prefix
	// Resolver resolves host names at subscribe time; nil: net.DefaultResolver.
	Resolver *net.Resolver
}

// Public reports whether a is a public unicast address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return false
	}
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Permits reports whether a webhook may connect to a.
func (g *Guard) Permits(a netip.Addr) bool {
	a = a.Unmap()
	if Public(a) {
		return true
	}
	for _, p := range g.Allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxURL is the contract's maxLength of a subscription URL.
const maxURL = 2000

// CheckURL validates a subscription URL: absolute http or https, a host,
// no user info, and every address the host resolves to permitted. The
// dialer checks the addresses again at every delivery (see Client), since
// DNS may answer differently later.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	if len(raw) > maxURL {
		return fmt.Errorf("the URL is longer than %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("the URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("only http and https URLs are allowed")
	}
	if u.User != nil {
		return errors.New("the URL must not carry credentials")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("the URL has no host")
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !g.Permits(a) {
			return fmt.Errorf("%w: %s", ErrForbiddenTarget, a)
		}
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("the host %q does not resolve", host)
	}
	for _, a := range addrs {
		if !g.Permits(a) {
			return fmt.Errorf("%w: %s resolves to %s", ErrForbiddenTarget, host, a.Unmap())
		}
	}
	return nil
}

// control refuses, at connect time, any address the Guard does not
// permit: the name was resolved by the dialer just before, so a DNS
// answer that changed since the subscription (rebinding) cannot slip
// through.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrForbiddenTarget, address)
	}
	if !g.Permits(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, ap.Addr().Unmap())
	}
	return nil
}

// Client returns the HTTP client of deliveries: every connection passes
// the Guard, no proxy from the environment (it would bypass the check),
// no redirects (a 3xx answer is a failed attempt), and a whole-request
// timeout.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
