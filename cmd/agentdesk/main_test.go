package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/app"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func environFor(t *testing.T, dial string) []string {
	t.Helper()
	dataDir := t.TempDir()
	return []string{
		"AGENTDESK_DATA_DIR=" + dataDir,
		"DATABASE_URL=" + storetest.URL(t, dial),
		"AGENTDESK_LOG_LEVEL=warn",
	}
}

func eachDialect(t *testing.T, fn func(t *testing.T, environ []string)) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) { fn(t, environFor(t, d)) })
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"user"}, {"user", "delete"}, {"client"}, {"notify"}, {"notify", "send"},
		{"notify", "run"}, {"notify", "run", "--at", "tomorrow"}, {"notify", "run", "--at", "2026-11-23"},
		{"notify", "run", "--at", "2026-11-23T09:00:00+08:00", "extra"}} {
		err := run(context.Background(), args, nil, strings.NewReader(""), io.Discard, io.Discard)
		if !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want usage", args, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, nil, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "serve") {
		t.Errorf("help: %v %q", err, out.String())
	}
}

func TestMigrateUserAndClient(t *testing.T) {
	eachDialect(t, func(t *testing.T, environ []string) {
		ctx := context.Background()
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate"}, environ, nil, &out, io.Discard); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if !strings.Contains(out.String(), "database at migration") {
			t.Fatalf("migrate output: %q", out.String())
		}
		out.Reset()
		args := []string{"user", "add", "--username", "wangfang", "--role", "team_lead", "--team", "C组", "--display-name", "王芳"}
		if err := run(ctx, args, environ, strings.NewReader("correct horse battery\n"), &out, io.Discard); err != nil {
			t.Fatalf("user add: %v", err)
		}
		if !strings.Contains(out.String(), "created team_lead wangfang") {
			t.Fatalf("user add output: %q", out.String())
		}
		if err := run(ctx, args, environ, strings.NewReader("correct horse battery\n"), io.Discard, io.Discard); err == nil ||
			!strings.Contains(err.Error(), "already exists") {
			t.Fatalf("duplicate user add: %v", err)
		}
		if err := run(ctx, []string{"user", "add", "--username", "x", "--role", "king"}, environ, strings.NewReader("correct horse battery\n"), io.Discard, io.Discard); err == nil {
			t.Fatal("bad role accepted")
		}
		if err := run(ctx, []string{"user", "add", "--username", "y"}, environ, strings.NewReader("short\n"), io.Discard, io.Discard); err == nil {
			t.Fatal("short password accepted")
		}
		out.Reset()
		if err := run(ctx, []string{"client", "add", "--client-id", "crm", "--scopes", "customers:read interactions:read"}, environ, nil, &out, io.Discard); err != nil {
			t.Fatalf("client add: %v", err)
		}
		if !regexp.MustCompile(`client_secret: [A-Za-z0-9_-]{43}\n`).MatchString(out.String()) {
			t.Fatalf("client add output lacks the secret: %q", out.String())
		}
	})
}

// TestServeDemo runs `serve --demo` on a loopback port, waits for it to
// answer, then stops it the way SIGTERM does and expects a clean exit.
func TestServeDemo(t *testing.T) {
	eachDialect(t, func(t *testing.T, environ []string) {
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stdout, stderr syncWriter
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--demo", "--addr", addr}, environ, nil, &stdout, &stderr)
		}()
		waitHealthy(t, "http://"+addr+"/readyz", done)
		out := stdout.String()
		if !strings.Contains(out, "demo password: ") || !strings.Contains(out, "listening on http://"+addr) {
			t.Errorf("serve output: %q", out)
		}
		password := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "demo password: ", 2)[1], "\n", 2)[0])
		token := readDemoBook(t, "http://"+addr, password)
		// A phone holds the sync event stream open: shutting down ends it
		// instead of waiting for it (the shutdown timeout is 15 s).
		stream := openEventStream(t, "http://"+addr, token)
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve exited with %v; stderr: %s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop after the context ended")
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("shutdown with an open event stream took %v", took)
		}
		if _, err := io.Copy(io.Discard, stream); err != nil {
			t.Errorf("the event stream did not end cleanly: %v", err)
		}
		// A second start reuses the generated secrets and skips the data.
		var dataDir string
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, "AGENTDESK_DATA_DIR="); ok {
				dataDir = v
			}
		}
		for _, f := range []string{"jwt-signing-key.pem", "encryption.key", "demo-password"} {
			if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
				t.Errorf("secret %s: %v", f, err)
			}
		}
		// Personal data never reaches the log, even after reading it.
		for _, re := range []*regexp.Regexp{regexp.MustCompile(`\b1[3-9][0-9]{9}\b`), regexp.MustCompile(`\b[0-9]{17}[0-9X]\b`)} {
			if m := re.FindString(stderr.String()); m != "" {
				t.Errorf("the log holds a phone or ID number: %s", m)
			}
		}
		var again bytes.Buffer
		if err := run(context.Background(), []string{"seed"}, environ, nil, &again, io.Discard); err != nil {
			t.Fatalf("seed after demo: %v", err)
		}
		if strings.Contains(again.String(), "generated ") {
			t.Errorf("seed regenerated secrets that already existed: %q", again.String())
		}
	})
}

func TestServeRequiresKeys(t *testing.T) {
	environ := environFor(t, dialect.SQLite)
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, environ, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "AGENTDESK_JWT_SIGNING_KEY") {
		t.Fatalf("serve without keys: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// readDemoBook logs in as agent1 and reads the book and one customer in
// full, as an agent's app would.
// openEventStream opens GET /v1/sync/events and reads its first event.
func openEventStream(t *testing.T, base, token string) io.Reader {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/sync/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /v1/sync/events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(res.Body)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "event: ") {
		t.Fatalf("first line of the event stream: %q %v", line, err)
	}
	return r
}

// readDemoBook logs in as agent1, reads a customer and returns the token.
func readDemoBook(t *testing.T, base, password string) string {
	t.Helper()
	post := func(path, body string) map[string]any {
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, err)
		}
		return out
	}
	get := func(path, token string) map[string]any {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
		}
		return out
	}
	pair := post("/v1/auth/login", `{"username":"agent1","password":"`+password+`"}`)
	token, _ := pair["access_token"].(string)
	page := get("/v1/customers?limit=5", token)
	items, _ := page["items"].([]any)
	if len(items) == 0 {
		t.Fatal("agent1's demo book is empty")
	}
	first, _ := items[0].(map[string]any)
	one := get("/v1/customers/"+first["id"].(string), token)
	if phone, _ := one["phone"].(string); len(phone) != 11 {
		t.Errorf("agent1 does not see the customer's phone: %v", one["phone"])
	}
	return token
}

// TestNotifyRun plans and sends the reminders of one policy as of a time
// given on the command line: without FCM settings the agent's reminder
// goes to the inbox, once however often the command runs.
func TestNotifyRun(t *testing.T) {
	eachDialect(t, func(t *testing.T, environ []string) {
		ctx := context.Background()
		cfg, err := config.Load(environ)
		if err != nil {
			t.Fatal(err)
		}
		db, err := app.OpenDatabase(ctx, cfg, clock.System{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var agentID string
		err = db.WithTx(auth.SystemContext(ctx), func(ctx context.Context, tx *ent.Tx) error {
			a, err := tx.Agent.Create().SetUsername("zhaolei").SetPasswordHash("!").Save(ctx)
			if err != nil {
				return err
			}
			agentID = a.ID.String()
			c, err := tx.Customer.Create().SetAgentID(a.ID).SetName("王芳").Save(ctx)
			if err != nil {
				return err
			}
			return tx.InsurancePolicy.Create().SetCustomerID(c.ID).SetNumber("P20260001").SetLine(insurancepolicy.LineLife).
				SetPremiumCents(100000).SetStartDate(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).
				SetNextPremiumDueDate(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)).Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		// 7 days before the premium is due, 09:30 in Shanghai: the 7-day
		// window (09:00) is due; the 30-day one passed long before.
		args := []string{"notify", "run", "--at", "2026-11-23T09:30:00+08:00"}
		var out bytes.Buffer
		if err := run(ctx, args, environ, nil, &out, io.Discard); err != nil {
			t.Fatalf("notify run: %v", err)
		}
		for _, want := range []string{"reminders as of 2026-11-23T01:30:00Z", "planned: scheduled=4 skipped=1 ", "sent: claimed=1 sent=1 "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		out.Reset()
		if err := run(ctx, args, environ, nil, &out, io.Discard); err != nil {
			t.Fatalf("notify run again: %v", err)
		}
		if !strings.Contains(out.String(), "planned: scheduled=0 ") || !strings.Contains(out.String(), "sent: claimed=0 sent=0 ") {
			t.Errorf("the second run did something:\n%s", out.String())
		}
		n, err := db.Client.Notification.Query().Count(auth.SystemContext(ctx))
		if err != nil || n != 1 {
			t.Errorf("inbox holds %d notifications (%v), want 1 for agent %s", n, err, agentID)
		}
	})
}
