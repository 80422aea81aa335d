package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	strict := &Guard{}
	loopback, err := ParsePrefixes([]string{"127.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	lenient := &Guard{Allowed: loopback}
	tests := []struct {
		url        string
		strict     bool // allowed by a Guard with nothing allowed
		lenient    bool // allowed when loopback is allowed
		forbidAddr bool // refused for its address (not its form)
	}{
		{"https://8.8.8.8/hook", true, true, false},
		{"http://[2001:4860:4860::8888]/hook", true, true, false},
		{"http://127.0.0.1:8080/hook", false, true, true},
		{"http://127.1.2.3/hook", false, true, true},
		{"http://[::1]/hook", false, true, true},
		{"http://[::ffff:127.0.0.1]/hook", false, true, true},
		{"http://169.254.169.254/latest/meta-data", false, false, true},
		{"http://[fe80::1]/hook", false, false, true},
		{"http://10.0.0.1/hook", false, false, true},
		{"http://10.255.255.255/hook", false, false, true},
		{"http://172.16.0.1/hook", false, false, true},
		{"http://172.31.255.254/hook", false, false, true},
		{"http://192.168.1.1/hook", false, false, true},
		{"http://[fc00::1]/hook", false, false, true},
		{"http://[fd12:3456::1]/hook", false, false, true},
		{"http://100.64.0.1/hook", false, false, true},
		{"http://0.0.0.0/hook", false, false, true},
		{"http://[::]/hook", false, false, true},
		{"http://224.0.0.1/hook", false, false, true},
		{"http://[64:ff9b::a00:1]/hook", false, false, true},
		{"http://localhost:9/hook", false, true, true},
		{"ftp://8.8.8.8/hook", false, false, false},
		{"file:///etc/passwd", false, false, false},
		{"gopher://8.8.8.8/", false, false, false},
		{"javascript:alert(1)", false, false, false},
		{"//8.8.8.8/hook", false, false, false},
		{"https://user:pw@8.8.8.8/hook", false, false, false},
		{"https:///hook", false, false, false},
		{"https://host.invalid/hook", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := strict.CheckURL(context.Background(), tt.url)
			if (err == nil) != tt.strict {
				t.Errorf("strict guard: CheckURL = %v, want allowed %v", err, tt.strict)
			}
			if err != nil && errors.Is(err, ErrForbiddenTarget) != tt.forbidAddr {
				t.Errorf("strict guard: %v, refused for the address %v, want %v", err, errors.Is(err, ErrForbiddenTarget), tt.forbidAddr)
			}
			if err := lenient.CheckURL(context.Background(), tt.url); (err == nil) != tt.lenient {
				t.Errorf("loopback-allowing guard: CheckURL = %v, want allowed %v", err, tt.lenient)
			}
		})
	}
}

// TestClientRefusesAtConnect proves the check at delivery time: a URL
// that passed (or never met) the subscribe-time check still cannot reach
// a non-public address, by IP or by a name that resolves to one.
func TestClientRefusesAtConnect(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		res, err := (&Guard{}).Client(time.Second).Post(u, "application/json", nil)
		if err == nil {
			res.Body.Close()
			t.Fatalf("POST %s reached a loopback server", u)
		}
		if !errors.Is(err, ErrForbiddenTarget) {
			t.Fatalf("POST %s: %v, want ErrForbiddenTarget", u, err)
		}
	}
	if hit {
		t.Fatal("the server was reached")
	}
	g := &Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	res, err := g.Client(time.Second).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	res.Body.Close()
	if !hit {
		t.Fatal("the allowed server was not reached")
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	g := &Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	res, err := g.Client(time.Second).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %d, want the 307 itself", res.StatusCode)
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes([]string{" 10.1.2.0/24", "", "::1", "192.168.1.7"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.1.2.0/24", "::1/128", "192.168.1.7/32"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := ParsePrefixes([]string{"nonsense"}); err == nil {
		t.Fatal("nonsense parsed")
	}
}
