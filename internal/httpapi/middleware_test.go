package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/obs"
)

// infraBodyLimit is the default body limit of the test server; /v1/imports gets infraImportLimit.
const (
	infraBodyLimit   = 256
	infraImportLimit = 4096
)

// infraEnv is a real echo server on a loopback listener with the whole
// middleware stack in front of a few handlers.
type infraEnv struct {
	srv  *httptest.Server
	spec *openapi3.T
	logs *infraLog
}

// infraLog is a goroutine-safe log sink that tests can search.
type infraLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *infraLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the log's JSON lines.
func (l *infraLog) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(l.buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

func (l *infraLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor returns the first log line for which match holds, waiting a little
// because the access log is written after the response may have been sent.
func (l *infraLog) waitFor(t *testing.T, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		for _, m := range l.lines(t) {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching log line in:\n%s", l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func loadMiniSpec(t *testing.T) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromFile("testdata/mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return spec
}

var nilThingID = "00000000-0000-0000-0000-000000000000"

func startInfra(t *testing.T) *infraEnv {
	t.Helper()
	spec := loadMiniSpec(t)
	logs := &infraLog{}
	logger := obs.NewLogger(logs, slog.LevelDebug)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = httpapi.NewErrorHandler(logger)
	reg := prometheus.NewRegistry()
	metrics, err := httpapi.Metrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	validator, err := httpapi.Validator(spec, httpapi.ValidatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.Use(
		httpapi.RequestID(),
		httpapi.AccessLog(logger),
		metrics,
		httpapi.Recover(logger),
		httpapi.SecurityHeaders(),
		httpapi.BodyLimit(infraBodyLimit, map[string]int64{"/v1/imports": infraImportLimit}),
		validator,
	)

	e.POST("/v1/things", func(c echo.Context) error {
		// The validator must leave the body readable.
		var in struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
			return apperr.Internal(err)
		}
		return c.JSON(http.StatusCreated, map[string]string{"id": nilThingID, "name": in.Name})
	})
	e.GET("/v1/things/:id", func(c echo.Context) error {
		if c.Param("id") == nilThingID {
			return apperr.NotFound("no such thing")
		}
		return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id"), "name": "x"})
	})
	e.POST("/v1/imports", func(c echo.Context) error {
		if _, err := io.ReadAll(c.Request().Body); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	// Routes outside the spec.
	e.POST("/v1/bind", func(c echo.Context) error {
		var in map[string]any
		if err := c.Bind(&in); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/v1/panic", func(echo.Context) error { panic("kaboom: customer 13800138000") })
	e.GET("/v1/fail", func(echo.Context) error {
		return apperr.Internal(errors.New("db exploded: secret-internal-detail"))
	})
	e.GET("/v1/slow-down", func(echo.Context) error { return apperr.RateLimited(1500*time.Millisecond, "too many pulls") })
	e.GET("/v1/reset", func(echo.Context) error { return apperr.Gone("sync-reset-required", "the cursor is too old") })
	e.GET("/v1/me", func(echo.Context) error { return apperr.Unauthenticated("the access token has expired") })
	e.GET("/v1/cached", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "private, max-age=60")
		return c.String(http.StatusOK, "ok")
	})
	e.GET("/v1/late-error", func(c echo.Context) error {
		if err := c.String(http.StatusOK, "partial"); err != nil {
			return err
		}
		return errors.New("failed after writing")
	})
	e.GET("/docs", httpapi.DocsHandler("/openapi.yaml"))
	e.GET(httpapi.RedocJSPath, httpapi.RedocJS)
	e.GET("/metrics", httpapi.MetricsHandler(reg))

	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &infraEnv{srv: srv, spec: spec, logs: logs}
}

// infraResponse is a response with its body read.
type infraResponse struct {
	*http.Response
	body []byte
}

// do sends a request to the test server; body may be nil, a string (sent
// with a Content-Length) or an io.Reader (sent chunked).
func (env *infraEnv) do(t *testing.T, method, path string, body any, header map[string]string) infraResponse {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case io.Reader:
		r = b
	default:
		t.Fatalf("unsupported body %T", body)
	}
	req, err := http.NewRequest(method, env.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, chunked := body.(io.Reader); chunked {
		req.ContentLength = -1
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return infraResponse{Response: res, body: data}
}

// problem checks that res is a well-formed problem and decodes it.
func (res infraResponse) problem(t *testing.T) httpapi.Problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != httpapi.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q; body %s", ct, httpapi.ProblemContentType, res.body)
	}
	var raw map[string]any
	if err := json.Unmarshal(res.body, &raw); err != nil {
		t.Fatalf("problem is not JSON: %v: %s", err, res.body)
	}
	for _, k := range []string{"type", "title", "status"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("problem lacks %q: %s", k, res.body)
		}
	}
	var p httpapi.Problem
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != res.StatusCode {
		t.Errorf("problem status %d, response status %d", p.Status, res.StatusCode)
	}
	if p.RequestID == "" || p.RequestID != res.Header.Get(httpapi.HeaderRequestID) {
		t.Errorf("problem request_id %q, X-Request-ID %q", p.RequestID, res.Header.Get(httpapi.HeaderRequestID))
	}
	return p
}

func TestRequestID(t *testing.T) {
	env := startInfra(t)
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"sane incoming id is kept", "client-42.retry_1", true},
		{"none: a UUIDv7 is made", "", false},
		{"spaces are refused", "abc def", false},
		{"too long is refused", strings.Repeat("a", 65), false},
		{"64 characters are fine", strings.Repeat("b", 64), true},
		{"non-ASCII is refused", "abc\u00e9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.do(t, http.MethodGet, "/v1/things/"+nilThingID, nil, map[string]string{httpapi.HeaderRequestID: tt.incoming})
			got := res.Header.Get(httpapi.HeaderRequestID)
			if tt.keep {
				if got != tt.incoming {
					t.Errorf("X-Request-ID = %q, want %q", got, tt.incoming)
				}
			} else {
				u, err := uuid.Parse(got)
				if err != nil || u.Version() != 7 {
					t.Errorf("X-Request-ID = %q, want a UUIDv7 (err %v)", got, err)
				}
			}
			// It reaches the problem body (through the request context) and the access log.
			if p := res.problem(t); p.RequestID != got {
				t.Errorf("problem request_id = %q, want %q", p.RequestID, got)
			}
			env.logs.waitFor(t, func(m map[string]any) bool { return m["msg"] == "request" && m["request_id"] == got })
		})
	}
}

func TestAccessLog(t *testing.T) {
	env := startInfra(t)
	res := env.do(t, http.MethodPost, "/v1/things?limit=5&phone=13800138000", `{"name":"Zhang San"}`,
		map[string]string{"Content-Type": "application/json", httpapi.HeaderRequestID: "log-test-1"})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	line := env.logs.waitFor(t, func(m map[string]any) bool { return m["msg"] == "request" && m["request_id"] == "log-test-1" })
	if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms = %v", line["duration_ms"])
	}
	if line["remote"] != "127.0.0.1" {
		t.Errorf("remote = %v, want 127.0.0.1", line["remote"])
	}
	delete(line, "time")
	delete(line, "duration_ms")
	delete(line, "remote")
	want := map[string]any{
		"level": "INFO", "msg": "request", "method": "POST", "route": "/v1/things", "status": float64(201),
		"bytes_in": float64(len(`{"name":"Zhang San"}`)), "bytes_out": float64(len(res.body)), "request_id": "log-test-1",
	}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("access log line mismatch (-want +got):\n%s", diff)
	}

	// Route templates, not paths: no IDs, no queries, no personal data anywhere in the log.
	env.do(t, http.MethodGet, "/v1/things/"+nilThingID+"?q=secret", nil, nil)
	env.do(t, http.MethodGet, "/no/such/13800138000?q=secret", nil, nil)
	env.logs.waitFor(t, func(m map[string]any) bool { return m["route"] == "/v1/things/:id" && m["status"] == float64(404) })
	env.logs.waitFor(t, func(m map[string]any) bool { return m["route"] == "unmatched" && m["status"] == float64(404) })
	for _, leak := range []string{"limit=5", "13800138000", "phone", "secret", "Zhang", nilThingID} {
		if strings.Contains(env.logs.String(), leak) {
			t.Errorf("log contains %q:\n%s", leak, env.logs.String())
		}
	}
}

func TestRecover(t *testing.T) {
	env := startInfra(t)
	res := env.do(t, http.MethodGet, "/v1/panic", nil, map[string]string{httpapi.HeaderRequestID: "panic-1"})
	p := res.problem(t)
	want := httpapi.Problem{
		Type: httpapi.ProblemTypeBase + "internal", Title: "Internal server error", Status: 500,
		Detail:   "an unexpected error occurred; quote the request id when reporting it",
		Instance: "/v1/panic", RequestID: "panic-1",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("problem mismatch (-want +got):\n%s", diff)
	}
	if bytes.Contains(res.body, []byte("kaboom")) {
		t.Errorf("the panic leaked to the client: %s", res.body)
	}
	line := env.logs.waitFor(t, func(m map[string]any) bool { return m["msg"] == "panic" })
	if line["level"] != "ERROR" || line["request_id"] != "panic-1" || !strings.Contains(line["panic"].(string), "kaboom") ||
		!strings.Contains(line["stack"].(string), "middleware_test.go") {
		t.Errorf("panic log line = %v", line)
	}
	env.logs.waitFor(t, func(m map[string]any) bool {
		return m["msg"] == "request" && m["request_id"] == "panic-1" && m["status"] == float64(500)
	})
}

func TestBodyLimit(t *testing.T) {
	env := startInfra(t)
	big := `{"name":"` + strings.Repeat("x", infraBodyLimit) + `"}`
	ndjson := strings.Repeat(`{"a":1}`+"\n", infraBodyLimit/4) // over the default, under the import limit
	tests := []struct {
		name   string
		path   string
		body   any
		ct     string
		status int
	}{
		{"content length over the limit", "/v1/things", big, "application/json", 413},
		{"chunked over the limit, read by the validator", "/v1/things", io.MultiReader(strings.NewReader(big)), "application/json", 413},
		{"chunked over the limit, read by echo's binder", "/v1/bind", io.MultiReader(strings.NewReader(big)), "application/json", 413},
		{"content length over the limit off the spec", "/v1/bind", big, "application/json", 413},
		{"a larger limit for a prefix", "/v1/imports", ndjson, "application/x-ndjson", 204},
		{"chunked under a larger limit", "/v1/imports", io.MultiReader(strings.NewReader(ndjson)), "application/x-ndjson", 204},
		{"over the larger limit", "/v1/imports", strings.Repeat("y", infraImportLimit+1), "text/csv", 413},
		{"under the limit", "/v1/bind", `{"a":1}`, "application/json", 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.do(t, http.MethodPost, tt.path, tt.body, map[string]string{"Content-Type": tt.ct})
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, res.body)
			}
			if tt.status == 413 {
				if p := res.problem(t); p.Type != httpapi.ProblemTypeBase+"too-large" {
					t.Errorf("type = %q", p.Type)
				}
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	env := startInfra(t)
	common := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	tests := []struct {
		name         string
		path         string
		cacheControl string
		cspHas       []string
	}{
		{"api success", "/v1/things/" + uuid.NewString(), "no-store", []string{"default-src 'none'", "frame-ancestors 'none'"}},
		{"api problem", "/v1/things/" + nilThingID, "no-store", []string{"default-src 'none'"}},
		{"handler's own Cache-Control", "/v1/cached", "private, max-age=60", []string{"default-src 'none'"}},
		{"unmatched", "/nope", "", []string{"default-src 'none'"}},
		{"docs", "/docs", "no-cache", []string{"script-src 'self'", "style-src 'self' 'unsafe-inline'", "worker-src 'self' blob:", "img-src 'self' data:", "frame-ancestors 'none'"}},
		{"docs script", httpapi.RedocJSPath, "public, max-age=604800", []string{"script-src 'self'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.do(t, http.MethodGet, tt.path, nil, nil)
			for k, v := range common {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := res.Header.Get("Cache-Control"); got != tt.cacheControl {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cacheControl)
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, s := range tt.cspHas {
				if !strings.Contains(csp, s) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, s)
				}
			}
			if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") {
				t.Errorf("Content-Security-Policy %q allows eval or other origins", csp)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	env := startInfra(t)
	env.do(t, http.MethodPost, "/v1/things", `{"name":"a"}`, map[string]string{"Content-Type": "application/json"})
	env.do(t, http.MethodGet, "/v1/things/"+nilThingID, nil, nil)
	env.do(t, http.MethodGet, "/v1/things/"+uuid.NewString(), nil, nil)
	env.do(t, http.MethodGet, "/x/"+uuid.NewString(), nil, nil)
	env.do(t, http.MethodGet, "/y/"+uuid.NewString(), nil, nil)
	env.do(t, "BREW", "/v1/things", nil, nil)
	env.do(t, http.MethodGet, "/v1/panic", nil, nil)

	res := env.do(t, http.MethodGet, "/metrics", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	text := string(res.body)
	for _, want := range []string{
		`agentdesk_http_requests_total{method="POST",route="/v1/things",status="201"} 1`,
		`agentdesk_http_requests_total{method="GET",route="/v1/things/:id",status="404"} 1`,
		`agentdesk_http_requests_total{method="GET",route="/v1/things/:id",status="200"} 1`,
		`agentdesk_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`agentdesk_http_requests_total{method="OTHER",route="/v1/things",status="405"} 1`,
		`agentdesk_http_requests_total{method="GET",route="/v1/panic",status="500"} 1`,
		`agentdesk_http_request_duration_seconds_count{method="GET",route="/v1/things/:id"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "/x/") || strings.Contains(text, "/y/") {
		t.Errorf("unmatched paths became labels:\n%s", text)
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := httpapi.Metrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := httpapi.Metrics(reg); err != nil {
		t.Errorf("second Metrics on one registry: %v", err)
	}
	clash := prometheus.NewCounter(prometheus.CounterOpts{Name: "agentdesk_http_requests_total", Help: "other"})
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(clash)
	if _, err := httpapi.Metrics(reg2); err == nil {
		t.Error("Metrics over a clashing collector: no error")
	}
}
