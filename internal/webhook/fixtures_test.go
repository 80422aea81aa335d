package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
	"github.com/agentdesk/agentdesk/internal/syncer"
	"github.com/agentdesk/agentdesk/internal/viewer"
)

var t0 = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// env is one database with a webhook Service on a fake clock.
type env struct {
	t   *testing.T
	db  *store.DB
	clk *clock.Fake
	s   *Service
	sys context.Context
}

// testRender stands in for the REST renderer (package httpapi, which
// imports this one): the record's ID and version.
func testRender(r syncer.Record) ([]byte, error) {
	switch e := r.Entity.(type) {
	case *ent.Customer:
		return json.Marshal(map[string]any{"id": e.ID, "version": e.Version, "name": e.Name, "phone": r.Personal.Phone})
	case *ent.Complaint:
		return json.Marshal(map[string]any{"id": e.ID, "version": e.Version})
	case *ent.Task:
		return json.Marshal(map[string]any{"id": e.ID, "version": e.Version, "status": e.Status})
	}
	return json.Marshal(map[string]any{"type": "other"})
}

func testConfig() Config {
	c := DefaultConfig()
	c.Allowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	c.RequestTimeout = 300 * time.Millisecond
	c.LeaseDuration = time.Minute
	return c
}

// each runs fn on SQLite and PostgreSQL.
func each(t *testing.T, cfg func(*Config), fn func(t *testing.T, e *env)) {
	clk := clock.NewFake(t0)
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		clk.Set(t0)
		e := &env{t: t, db: db, clk: clk, sys: auth.SystemContext(context.Background())}
		e.s = e.service(cfg)
		fn(t, e)
	})
}

var testKey = pii.NewKey()

func (e *env) service(cfg func(*Config)) *Service {
	e.t.Helper()
	key, err := pii.ParseKey(testKey)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := pii.NewSingle(key)
	if err != nil {
		e.t.Fatal(err)
	}
	c := testConfig()
	if cfg != nil {
		cfg(&c)
	}
	s, err := New(Deps{DB: e.db, PII: p, Clock: e.clk, Render: testRender, Rand: func() float64 { return 0.5 }}, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// integrator is the context of an integrator with webhooks:manage.
func integrator(name string) context.Context {
	return viewer.With(context.Background(), &viewer.Viewer{Kind: viewer.KindIntegrator, ClientID: name,
		ClientPK: uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)), Scopes: []string{"webhooks:manage"}})
}

// subscribe creates a subscription of integrator "crm" and returns it
// with its secret.
func (e *env) subscribe(url string, events ...string) (*ent.WebhookSubscription, string) {
	e.t.Helper()
	sub, secret, err := e.s.Create(integrator("crm"), "", Input{URL: &url, Events: events})
	if err != nil {
		e.t.Fatalf("subscribe: %v", err)
	}
	return sub, secret
}

func (e *env) tx(fn func(ctx context.Context, tx *ent.Tx) error) {
	e.t.Helper()
	if err := e.db.WithTx(e.sys, fn); err != nil {
		e.t.Fatalf("fixture: %v", err)
	}
}

func (e *env) customer(name string) *ent.Customer {
	e.t.Helper()
	var c *ent.Customer
	e.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		c, err = tx.Customer.Create().SetName(name).Save(ctx)
		return err
	})
	return c
}

func (e *env) rename(c *ent.Customer, name string) {
	e.t.Helper()
	e.tx(func(ctx context.Context, tx *ent.Tx) error {
		return tx.Customer.UpdateOneID(c.ID).SetName(name).Exec(ctx)
	})
}

func (e *env) run() RunStats {
	e.t.Helper()
	st, err := e.s.RunOnce(context.Background(), e.clk.Now())
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return st
}

func (e *env) deliveries() []*ent.WebhookDelivery {
	e.t.Helper()
	ds, err := e.db.Client.WebhookDelivery.Query().Order(ent.Asc(webhookdelivery.FieldID)).All(e.sys)
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// call is one call a receiver got.
type call struct {
	event     Event
	signature string
	delivery  string
	body      []byte
}

// receiver is a webhook endpoint on loopback; answer decides each reply.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []call
	answer func(n int, r *http.Request, w http.ResponseWriter)
}

func newReceiver(t *testing.T, answer func(n int, r *http.Request, w http.ResponseWriter)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("receiver: body %s: %v", b, err)
		}
		rc.mu.Lock()
		rc.calls = append(rc.calls, call{event: ev, signature: r.Header.Get(SignatureHeader),
			delivery: r.Header.Get(deliveryHeader), body: b})
		n := len(rc.calls)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, r, w)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []call {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]call(nil), rc.calls...)
}

// rcBody is the body of a request the receiver already read.
func rcBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}
