package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func TestRateLimitPerToken(t *testing.T) {
	db := storetest.SQLite(t, storetest.Options{})
	ts := startServerTB(t, db, func(d *httpapi.Deps) { d.RateLimit, d.RateBurst = 0.5, 3 })
	a := http.Header{"Authorization": {"Bearer " + ts.token(t, auth.RoleAgent)}}
	b := http.Header{"Authorization": {"Bearer " + ts.token(t, auth.RoleAgent)}}
	for i := 0; i < 3; i++ {
		if res := ts.do(t, "GET", "/v1/customers", a, nil); res.status != 200 {
			t.Fatalf("request %d within the burst: %d", i, res.status)
		}
	}
	res := ts.do(t, "GET", "/v1/customers", a, nil)
	if res.status != 429 {
		t.Fatalf("request over the burst: %d, want 429", res.status)
	}
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q", res.header.Get("Retry-After"))
	}
	if res := ts.do(t, "GET", "/v1/customers", b, nil); res.status != 200 {
		t.Errorf("another caller is limited too: %d", res.status)
	}
}

func TestCORS(t *testing.T) {
	db := storetest.SQLite(t, storetest.Options{})
	closed := startServerTB(t, db)
	pre := http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"GET"}}
	res := closed.do(t, "OPTIONS", "/v1/customers", pre, nil)
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS open by default: %v", res.header)
	}
	open := startServerTB(t, db, func(d *httpapi.Deps) { d.CORSOrigins = []string{"https://app.example.com"} })
	res = open.do(t, "OPTIONS", "/v1/customers", pre, nil)
	if res.status != 204 || res.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("allowed origin preflight: %d %v", res.status, res.header)
	}
	other := http.Header{"Origin": {"https://evil.example.com"}, "Access-Control-Request-Method": {"GET"}}
	res = open.do(t, "OPTIONS", "/v1/customers", other, nil)
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin allowed: %v", res.header)
	}
}
