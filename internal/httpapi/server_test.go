package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/obs"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// syncBuffer is a log sink that tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	*httptest.Server
	logs   *syncBuffer
	spec   *openapi3.T
	tokens *auth.Tokens
}

// startServer runs the real HTTP stack on a loopback listener, plus a route
// that panics (no route of the product does).
func startServer(t *testing.T, db *store.DB) *testServer { return startServerTB(t, db) }

func startServerTB(t testing.TB, db *store.DB, tweaks ...func(*httpapi.Deps)) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	logger := obs.NewLogger(logs, -4)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(key, clock.System{}, auth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.NewService(db, tokens, clock.System{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	deps := httpapi.Deps{
		DB: db, Auth: svc, PII: testPII(t), Logger: logger, Registry: prometheus.NewRegistry(),
	}
	for _, tw := range tweaks {
		tw(&deps)
	}
	h, err := httpapi.NewHandler(deps)
	if err != nil {
		t.Fatal(err)
	}
	h.(*echo.Echo).GET("/v1/test/panic", func(echo.Context) error { panic("handler exploded") })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: srv, logs: logs, spec: spec, tokens: tokens}
}

// token signs an access token for a made-up agent of the given role.
func (ts *testServer) token(t *testing.T, role auth.Role) string {
	t.Helper()
	tok, _, err := ts.tokens.Issue(&auth.Viewer{Kind: auth.KindAgent, AgentID: uuid.Must(uuid.NewV7()), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request and, for every operation of the contract, checks that
// the response validates against openapi.yaml.
func (ts *testServer) do(t testing.TB, method, path string, header http.Header, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if inContract(ts.spec, method, req.URL.Path) {
		if err := httpapi.ValidateResponse(ts.spec, req, res.StatusCode, res.Header, b); err != nil {
			t.Errorf("%s %s: response %d does not match openapi.yaml: %v\nbody: %s", method, path, res.StatusCode, err, b)
		}
	}
	return response{res.StatusCode, res.Header, b}
}

func inContract(spec *openapi3.T, method, path string) bool {
	for p, item := range spec.Paths.Map() {
		if item.GetOperation(method) == nil {
			continue
		}
		if matchTemplate(p, path) {
			return true
		}
	}
	return false
}

func matchTemplate(tmpl, path string) bool {
	a, b := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.HasPrefix(a[i], "{") {
			continue
		}
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func TestScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := startServer(t, db)
		jsonCT := http.Header{"Content-Type": {"application/json"}}
		bearer := http.Header{"Authorization": {"Bearer " + ts.token(t, auth.RoleAgent)}}
		big := `{"username":"agent1","password":"` + strings.Repeat("x", 2<<20) + `"}`
		tests := []struct {
			name        string
			method      string
			path        string
			header      http.Header
			body        string
			wantStatus  int
			wantType    string // content type prefix
			wantProblem string // problem type suffix
			wantBody    []string
			wantField   string
		}{
			{name: "health", method: "GET", path: "/healthz", wantStatus: 200, wantType: "application/json", wantBody: []string{`"status":"ok"`}},
			{name: "ready", method: "GET", path: "/readyz", wantStatus: 200, wantType: "application/json", wantBody: []string{`"database":"ok"`}},
			{name: "spec", method: "GET", path: "/openapi.yaml", wantStatus: 200, wantType: "application/yaml", wantBody: []string{"openapi: 3.0.3", "/v1/sync/pull"}},
			{name: "docs", method: "GET", path: "/docs", wantStatus: 200, wantType: "text/html", wantBody: []string{"/docs/redoc.standalone.js", "/openapi.yaml"}},
			{name: "docs bundle", method: "GET", path: "/docs/redoc.standalone.js", wantStatus: 200, wantType: "text/javascript"},
			{name: "metrics", method: "GET", path: "/metrics", wantStatus: 200, wantType: "text/plain", wantBody: []string{"agentdesk_http_requests_total"}},
			{name: "validation error names the field", method: "POST", path: "/v1/auth/login", header: jsonCT,
				body: `{"username":"agent1"}`, wantStatus: 400, wantType: "application/problem+json",
				wantProblem: "/validation-failed", wantField: "/password"},
			{name: "malformed json", method: "POST", path: "/v1/auth/login", header: jsonCT,
				body: `{"username":`, wantStatus: 400, wantType: "application/problem+json", wantProblem: "/validation-failed"},
			{name: "bad query parameter", method: "GET", path: "/v1/customers?limit=100000", header: bearer, wantStatus: 400,
				wantType: "application/problem+json", wantField: "limit"},
			{name: "bad path id", method: "GET", path: "/v1/customers/not-a-uuid", header: bearer, wantStatus: 400,
				wantType: "application/problem+json", wantField: "id"},
			{name: "no token", method: "GET", path: "/v1/customers", wantStatus: 401,
				wantType: "application/problem+json", wantProblem: "/unauthenticated"},
			{name: "bad token", method: "GET", path: "/v1/customers", header: http.Header{"Authorization": {"Bearer x.y.z"}}, wantStatus: 401,
				wantType: "application/problem+json", wantProblem: "/unauthenticated"},
			{name: "wrong content type", method: "POST", path: "/v1/auth/login", header: http.Header{"Content-Type": {"text/plain"}},
				body: `hi`, wantStatus: 415, wantType: "application/problem+json", wantProblem: "/unsupported-media-type"},
			{name: "unknown route", method: "GET", path: "/v1/nope", wantStatus: 404, wantType: "application/problem+json", wantProblem: "/not-found"},
			{name: "unknown top-level route", method: "GET", path: "/wp-admin", wantStatus: 404, wantType: "application/problem+json"},
			{name: "wrong method", method: "DELETE", path: "/healthz", wantStatus: 405, wantType: "application/problem+json", wantProblem: "/method-not-allowed"},
			{name: "body too large", method: "POST", path: "/v1/auth/login", header: jsonCT, body: big,
				wantStatus: 413, wantType: "application/problem+json", wantProblem: "/too-large"},
			{name: "wrong password", method: "POST", path: "/v1/auth/login", header: jsonCT,
				body: `{"username":"agent1","password":"secret-password"}`, wantStatus: 401,
				wantType: "application/problem+json", wantProblem: "/unauthenticated"},
			{name: "agent on an integrators' endpoint", method: "GET", path: "/v1/webhooks", header: bearer, wantStatus: 403,
				wantType: "application/problem+json", wantProblem: "/forbidden"},
			{name: "panic becomes 500 without details", method: "GET", path: "/v1/test/panic", wantStatus: 500,
				wantType: "application/problem+json", wantProblem: "/internal"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body io.Reader
				if tt.body != "" {
					body = strings.NewReader(tt.body)
				}
				res := ts.do(t, tt.method, tt.path, tt.header, body)
				if res.status != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body: %.300s", res.status, tt.wantStatus, res.body)
				}
				if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
					t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
				}
				if res.header.Get("X-Request-ID") == "" {
					t.Error("no X-Request-ID header")
				}
				for _, want := range tt.wantBody {
					if !bytes.Contains(res.body, []byte(want)) {
						t.Errorf("body lacks %q: %.300s", want, res.body)
					}
				}
				if !strings.HasPrefix(tt.wantType, "application/problem+json") {
					return
				}
				var p problem
				if err := jsonUnmarshal(res.body, &p); err != nil {
					t.Fatalf("problem body: %v: %s", err, res.body)
				}
				if p.Status != tt.wantStatus || p.Title == "" || !strings.HasPrefix(p.Type, httpapi.ProblemTypeBase) {
					t.Errorf("problem = %+v; want status %d, a title and a type under %s", p, tt.wantStatus, httpapi.ProblemTypeBase)
				}
				if tt.wantProblem != "" && !strings.HasSuffix(p.Type, tt.wantProblem) {
					t.Errorf("problem type = %q, want suffix %q", p.Type, tt.wantProblem)
				}
				if p.RequestID != res.header.Get("X-Request-ID") {
					t.Errorf("problem request_id %q != header %q", p.RequestID, res.header.Get("X-Request-ID"))
				}
				if tt.wantField != "" {
					found := false
					for _, f := range p.Errors {
						found = found || f.Field == tt.wantField
					}
					if !found {
						t.Errorf("problem errors %+v do not name %q", p.Errors, tt.wantField)
					}
				}
				if tt.wantStatus == 500 && strings.Contains(string(res.body), "exploded") {
					t.Errorf("500 leaks the panic: %s", res.body)
				}
			})
		}
		if logs := ts.logs.String(); !strings.Contains(logs, "handler exploded") {
			t.Errorf("the panic was not logged: %s", logs)
		}
		if logs := ts.logs.String(); strings.Contains(logs, "secret-password") {
			t.Errorf("a request body reached the log")
		}
	})
}

func TestReadyzFailsWithoutDatabase(t *testing.T) {
	db := storetest.SQLite(t, storetest.Options{})
	ts := startServer(t, db)
	db.SQL.Close()
	res := ts.do(t, "GET", "/readyz", nil, nil)
	if res.status != 503 || !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("readyz with the database closed: %d %s", res.status, res.body)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// FuzzLoginBody sends arbitrary bodies to the login endpoint through the
// whole stack: every answer is a documented 4xx, never a 5xx.
func FuzzLoginBody(f *testing.F) {
	db := storetest.SQLite(f, storetest.Options{})
	ts := startServerTB(f, db)
	for _, s := range []string{`{"username":"agent1","password":"x"}`, `{}`, `{"username":1}`, `[`, "\x00", `{"username":"a","password":"b","x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res := ts.do(t, "POST", "/v1/auth/login", http.Header{"Content-Type": {"application/json"}}, bytes.NewReader(body))
		if res.status >= 500 {
			t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
		}
	})
}

func testPII(t testing.TB) *pii.Protector {
	t.Helper()
	k, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	p, err := pii.NewSingle(k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
