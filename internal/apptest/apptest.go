// Package apptest starts the whole server for end-to-end tests: a fresh
// database (SQLite or PostgreSQL), the real HTTP stack on a loopback
// listener, a fake clock, helpers to create accounts and tokens, and a
// client that checks every response against openapi.yaml.
package apptest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/team"
	"github.com/agentdesk/agentdesk/internal/app"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/httpapi"
	"github.com/agentdesk/agentdesk/internal/obs"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// Start is the default start time of the fake clock.
var Start = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) // Monday 10:00 in Shanghai

// Env is a running server.
type Env struct {
	URL     string
	DataDir string // the SQLite files live here
	App     *app.App
	Clock   *clock.Fake
	Logs    *Logs
	spec    *openapi3.T
	srv     *httptest.Server
}

// Logs captures the server's log lines.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Each runs fn against a server on SQLite and one on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) { fn(t, New(t, d)) })
	}
}

// New starts a server on a fresh database of the dialect.
func New(t testing.TB, dial string) *Env {
	t.Helper()
	return NewWith(t, dial, nil)
}

// NewWith is New with settings changed by configure (when not nil) after
// the test's database and keys are set and before the server starts, e.g.
// AGENTDESK_FCM_ENDPOINT's FCMEndpoint.
func NewWith(t testing.TB, dial string, configure func(*config.Config)) *Env {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := marshalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = storetest.URL(t, dial)
	if dial == dialect.SQLite {
		cfg.DatabaseURL = "sqlite:" + filepath.Join(cfg.DataDir, "agentdesk.db")
	}
	cfg.JWTSigningKey = pemKey
	cfg.EncryptionKey = pii.NewKey()
	if configure != nil {
		configure(&cfg)
	}
	logs := &Logs{}
	clk := clock.NewFake(Start)
	a, err := app.New(context.Background(), cfg, obs.NewLogger(logs, -4), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{URL: srv.URL, DataDir: cfg.DataDir, App: a, Clock: clk, Logs: logs, spec: spec, srv: srv}
}

// Sys is a context with the server's own rights, for fixtures.
func Sys() context.Context { return auth.SystemContext(context.Background()) }

// Agent creates (or finds) an account; team "" means none. The password
// is not usable: tests take tokens from Token.
func (e *Env) Agent(t testing.TB, username string, role auth.Role, teamName string) *ent.Agent {
	t.Helper()
	ctx := Sys()
	var out *ent.Agent
	err := e.App.DB.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if a, err := tx.Agent.Query().Where(agent.Username(username)).Only(ctx); err == nil {
			out = a
			return nil
		}
		c := tx.Agent.Create().SetUsername(username).SetRole(agent.Role(role)).SetPasswordHash("!").SetDisplayName(username)
		if teamName != "" {
			tm, err := tx.Team.Query().Where(team.Name(teamName)).Only(ctx)
			if ent.IsNotFound(err) {
				tm, err = tx.Team.Create().SetName(teamName).Save(ctx)
			}
			if err != nil {
				return err
			}
			c.SetTeamID(tm.ID)
		}
		var err error
		out, err = c.Save(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Token signs an access token for an account.
func (e *Env) Token(t testing.TB, a *ent.Agent) string {
	t.Helper()
	tok, _, err := e.App.Auth.Tokens().Issue(&auth.Viewer{Kind: auth.KindAgent, AgentID: a.ID, Username: a.Username,
		Role: auth.Role(a.Role), TeamID: a.TeamID, TimeZone: a.TimeZone, Locale: a.Locale})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// IntegratorToken signs a token for an integrator client with scopes.
func (e *Env) IntegratorToken(t testing.TB, clientID string, scopes ...string) string {
	t.Helper()
	tok, _, err := e.App.Auth.Tokens().Issue(&auth.Viewer{Kind: auth.KindIntegrator, ClientPK: uuid.NewSHA1(uuid.NameSpaceOID, []byte(clientID)),
		ClientID: clientID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Response is an answer of the server.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Request is a request to send.
type Request struct {
	Method, Path, Token string
	Body                any // marshalled as JSON unless a []byte or string
	Header              http.Header
}

// Do sends a request and checks the response against openapi.yaml.
func (e *Env) Do(t testing.TB, r Request) Response {
	t.Helper()
	var body io.Reader
	ct := ""
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(r.Method, e.URL+r.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := httpapi.ValidateResponse(e.spec, req, res.StatusCode, res.Header, b); err != nil && inSpec(e.spec, req) {
		t.Errorf("%s %s → %d does not match openapi.yaml: %v\nbody: %.500s", r.Method, r.Path, res.StatusCode, err, b)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func inSpec(spec *openapi3.T, req *http.Request) bool {
	for p, item := range spec.Paths.Map() {
		if item.GetOperation(req.Method) != nil && matchTemplate(p, req.URL.Path) {
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
		if !strings.HasPrefix(a[i], "{") && a[i] != b[i] {
			return false
		}
	}
	return true
}
