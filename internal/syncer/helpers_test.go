package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

var testStart = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// env is an engine on a fresh database with a fake clock.
type env struct {
	t     testing.TB
	db    *store.DB
	e     *Engine
	clock *clock.Fake
	pii   *pii.Protector
	n     atomic.Int64
}

// eachEnv runs fn on SQLite and PostgreSQL.
func eachEnv(t *testing.T, fn func(t *testing.T, v *env)) {
	t.Helper()
	eachEnvWith(t, Options{}, fn)
}

// eachEnvWith is eachEnv with engine options.
func eachEnvWith(t *testing.T, opts Options, fn func(t *testing.T, v *env)) {
	t.Helper()
	for _, dial := range []string{"sqlite", "postgres"} {
		t.Run(dial, func(t *testing.T) {
			clk := clock.NewFake(testStart)
			open := storetest.SQLite
			if dial == "postgres" {
				open = storetest.Postgres
			}
			fn(t, newEnv(t, open(t, storetest.Options{Clock: clk}), clk, opts))
		})
	}
}

func newEnv(t testing.TB, db *store.DB, clk *clock.Fake, opts Options) *env {
	t.Helper()
	key, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	p, err := pii.NewSingle(key)
	if err != nil {
		t.Fatal(err)
	}
	opts.CursorKey = bytes.Repeat([]byte("k"), 32)
	opts.Render = testRender
	opts.PII = p
	opts.Clock = clk
	opts.Audit = audit.New(db.Client, clk)
	e, err := New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return &env{t: t, db: db, e: e, clock: clk, pii: p}
}

// testRender renders the fields the tests look at.
func testRender(r Record) ([]byte, error) {
	id, version, cust := recordMeta(r.Entity)
	m := map[string]any{"id": id, "version": version}
	if cust != uuid.Nil {
		m["customer_id"] = cust
	}
	switch e := r.Entity.(type) {
	case *ent.Customer:
		m["name"], m["agent_id"], m["occupation"], m["tags"] = e.Name, e.AgentID, e.Occupation, e.Tags
		if r.Personal.Phone != nil {
			m["phone"] = *r.Personal.Phone
		}
		if r.Personal.IDNumber != nil {
			m["id_number"] = *r.Personal.IDNumber
		}
	case *ent.Task:
		m["status"], m["title"], m["skip_reason"] = e.Status, e.Title, e.SkipReason
	case *ent.Interaction:
		m["content"] = e.Content
	case *ent.Complaint:
		m["summary"], m["status"] = e.Summary, e.Status
	case *ent.Notification:
		m["read_at"] = e.ReadAt
	case *ent.ServicePlan:
		m["steps"] = len(r.Steps)
	case *ent.Portrait:
		if r.Native {
			m["native"] = true
			break
		}
		m["customer"] = r.Customer.ID
		if r.CustomerPersonal.Phone != nil {
			m["customer_phone"] = *r.CustomerPersonal.Phone
		}
	}
	return json.Marshal(m)
}

func (v *env) sys() context.Context { return auth.SystemContext(context.Background()) }

func (v *env) next() int64 { return v.n.Add(1) }

func (v *env) tx(fn func(ctx context.Context, tx *ent.Tx) error) {
	v.t.Helper()
	if err := v.db.WithTx(v.sys(), fn); err != nil {
		v.t.Fatalf("fixture: %v", err)
	}
}

func (v *env) team(name string) uuid.UUID {
	v.t.Helper()
	var id uuid.UUID
	v.tx(func(ctx context.Context, tx *ent.Tx) error {
		tm, err := tx.Team.Create().SetName(name).Save(ctx)
		if err == nil {
			id = tm.ID
		}
		return err
	})
	return id
}

func (v *env) agent(role auth.Role, team *uuid.UUID) *ent.Agent {
	v.t.Helper()
	var a *ent.Agent
	v.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		a, err = tx.Agent.Create().SetUsername(fmt.Sprintf("agent%d", v.next())).SetRole(agent.Role(role)).
			SetNillableTeamID(team).SetPasswordHash("!").Save(ctx)
		return err
	})
	return a
}

// as is the context of a request by a (its token as issued now).
func (v *env) as(a *ent.Agent) context.Context {
	return auth.WithViewer(context.Background(), &auth.Viewer{Kind: auth.KindAgent, AgentID: a.ID, Username: a.Username,
		Role: auth.Role(a.Role), TeamID: a.TeamID})
}

func (v *env) customer(owner *ent.Agent) *ent.Customer {
	v.t.Helper()
	var c *ent.Customer
	phone := fmt.Sprintf("1380013%04d", v.next())
	enc, err := v.pii.Encrypt(custsvc.FieldPhone, phone)
	if err != nil {
		v.t.Fatal(err)
	}
	v.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		q := tx.Customer.Create().SetName(fmt.Sprintf("客户%d", v.next())).SetPhoneEnc(enc).
			SetPhoneHash(v.pii.Hash(custsvc.FieldPhone, phone))
		if owner != nil {
			q.SetAgentID(owner.ID)
		}
		c, err = q.Save(ctx)
		return err
	})
	return c
}

// family adds a customer with one record of every child collection.
func (v *env) family(owner *ent.Agent) (*ent.Customer, map[string]uuid.UUID) {
	v.t.Helper()
	c := v.customer(owner)
	ids := map[string]uuid.UUID{store.Customers: c.ID}
	now := v.clock.Now()
	v.tx(func(ctx context.Context, tx *ent.Tx) error {
		p, err := tx.Portrait.Create().SetCustomerID(c.ID).Save(ctx)
		if err != nil {
			return err
		}
		ids[store.Portraits] = p.ID
		pol, err := tx.InsurancePolicy.Create().SetCustomerID(c.ID).SetNumber(fmt.Sprintf("P%d", v.next())).
			SetLine("life").SetPremiumCents(100).SetStartDate(now).Save(ctx)
		if err != nil {
			return err
		}
		ids[store.Policies] = pol.ID
		plan, err := tx.ServicePlan.Create().SetCustomerID(c.ID).Save(ctx)
		if err != nil {
			return err
		}
		ids[store.ServicePlans] = plan.ID
		tk, err := tx.Task.Create().SetCustomerID(c.ID).SetNillableAgentID(c.AgentID).SetTitle("回访").SetDueAt(now).Save(ctx)
		if err != nil {
			return err
		}
		ids[store.Tasks] = tk.ID
		in, err := tx.Interaction.Create().SetCustomerID(c.ID).SetChannel("phone").SetType("consultation").
			SetContent("咨询保单条款").SetReceivedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		ids[store.Interactions] = in.ID
		cp, err := tx.Complaint.Create().SetCustomerID(c.ID).SetSummary("理赔慢").SetReceivedAt(now).
			SetAckDueAt(now).SetAnswerDueAt(now).SetCloseDueAt(now).Save(ctx)
		if err != nil {
			return err
		}
		ids[store.Complaints] = cp.ID
		return nil
	})
	return c, ids
}

func (v *env) toolkitItem(published bool) *ent.ToolkitItem {
	v.t.Helper()
	var it *ent.ToolkitItem
	status := toolkititem.StatusDraft
	if published {
		status = toolkititem.StatusPublished
	}
	v.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		it, err = tx.ToolkitItem.Create().SetKey(fmt.Sprintf("item-%d", v.next())).SetKind("script").SetScenario("renewal").
			SetTitle("续保话术").SetStatus(status).SetContent(domain.ToolkitContent{Body: "您好"}).Save(ctx)
		return err
	})
	return it
}

func (v *env) notification(to *ent.Agent) *ent.Notification {
	v.t.Helper()
	var n *ent.Notification
	v.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		n, err = tx.Notification.Create().SetAgentID(to.ID).SetKind("system").SetTitle("通知").Save(ctx)
		return err
	})
	return n
}

// reassign moves a customer to another agent, as a lead or admin would.
func (v *env) reassign(c uuid.UUID, to *ent.Agent) {
	v.t.Helper()
	v.tx(func(ctx context.Context, tx *ent.Tx) error {
		return tx.Customer.UpdateOneID(c).SetAgentID(to.ID).Exec(ctx)
	})
}

// moveAgent moves an agent to another team, recording the scope event.
func (v *env) moveAgent(a *ent.Agent, team *uuid.UUID) {
	v.t.Helper()
	v.tx(func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.Agent.Get(ctx, a.ID)
		if err != nil {
			return err
		}
		u := tx.Agent.UpdateOneID(a.ID)
		if team == nil {
			u.ClearTeamID()
		} else {
			u.SetTeamID(*team)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		return RecordTeamMove(ctx, a.ID, cur.TeamID, team)
	})
}

type recKey struct {
	coll string
	id   uuid.UUID
}

func (k recKey) String() string { return k.coll + "/" + k.id.String() }

// device is a phone: the records it holds by collection and id, with
// their versions, applied from pulls as DESIGN.md says.
type device struct {
	v      *env
	ctx    context.Context
	cursor string
	recs   map[recKey]int64
	data   map[recKey]json.RawMessage
	pages  int
	// deleted records the reason of every delete applied.
	deleted map[recKey]string
	trace   map[recKey][]string
	// pushed holds the records made offline whose create was sent, maybe
	// without an answer: the server may have created (and deleted) them.
	pushed map[recKey]bool
}

func (d *device) note(k recKey, f string, a ...any) {
	if d.trace == nil {
		d.trace = map[recKey][]string{}
	}
	d.trace[k] = append(d.trace[k], fmt.Sprintf(f, a...))
}

func (v *env) device(a *ent.Agent) *device {
	return &device{v: v, ctx: v.as(a), recs: map[recKey]int64{}, data: map[recKey]json.RawMessage{}, deleted: map[recKey]string{}}
}

func (d *device) apply(p *Page) {
	for _, c := range p.Changes {
		k := recKey{c.Collection, c.ID}
		if c.Op == OpDelete {
			d.note(k, "pull delete %s v%d", c.Reason, c.Version)
			delete(d.recs, k)
			delete(d.data, k)
			d.deleted[k] = c.Reason
			continue
		}
		d.note(k, "pull upsert v%d", c.Version)
		if cur, ok := d.recs[k]; !ok || c.Version > cur {
			d.recs[k] = c.Version
			d.data[k] = c.Data
		}
	}
}

// pull pulls until has_more is false and returns the pages.
func (d *device) pull(limit int) []*Page {
	d.v.t.Helper()
	var pages []*Page
	cur := d.cursor
	defer d.snapshotDone(cur == "", &pages)
	for i := 0; ; i++ {
		if i > 100000 {
			d.v.t.Fatal("pull does not end")
		}
		p, err := d.v.e.Pull(d.ctx, PullRequest{Cursor: cur, Limit: limit})
		if err != nil {
			d.v.t.Fatalf("pull: %v", err)
		}
		d.apply(p)
		pages = append(pages, p)
		cur = p.Cursor
		if !p.HasMore {
			break
		}
	}
	d.cursor = cur
	d.pages += len(pages)
	return pages
}

// snapshotDone applies the rule of a first sync: the snapshot is the
// whole scope, so a record it did not deliver is dropped, unless the
// device made it and has not sent it yet. A record committed after the
// snapshot's watermark (such as a create sent meanwhile) comes with the
// next pull.
func (d *device) snapshotDone(first bool, pages *[]*Page) {
	if !first || len(*pages) == 0 || (*pages)[len(*pages)-1].HasMore {
		return
	}
	seen := map[recKey]bool{}
	for _, p := range *pages {
		for _, c := range p.Changes {
			seen[recKey{c.Collection, c.ID}] = true
		}
	}
	for k, ver := range d.recs {
		if !seen[k] && (ver > 0 || d.pushed[k]) {
			d.note(k, "dropped: not in the snapshot")
			delete(d.recs, k)
			delete(d.data, k)
		}
	}
}

// truth is what the access rules let a see now, by record.
func (v *env) truth(a *ent.Agent) map[recKey]int64 {
	v.t.Helper()
	s, err := v.e.scopeOf(v.as(a))
	if err != nil {
		v.t.Fatal(err)
	}
	out := map[recKey]int64{}
	for _, coll := range Collections {
		src := sources[coll]
		last := uuid.Nil
		for {
			recs, err := src.page(s.vctx, v.db.Client, filter{}, last, 1000)
			if err != nil {
				v.t.Fatal(err)
			}
			for _, r := range recs {
				id, ver, _ := recordMeta(r)
				out[recKey{coll, id}] = ver
				last = id
			}
			if len(recs) < 1000 {
				break
			}
		}
	}
	return out
}

// converged fails unless d holds exactly what its agent may see.
func (d *device) converged(a *ent.Agent) {
	d.v.t.Helper()
	if m := d.mismatch(a); m != "" {
		d.v.t.Fatal(m)
	}
}

// mismatch says how d differs from what its agent may see ("" when not).
func (d *device) mismatch(a *ent.Agent) string {
	d.v.t.Helper()
	want := d.v.truth(a)
	if diff := cmp.Diff(keysOf(want), keysOf(d.recs)); diff != "" {
		return fmt.Sprintf("device of %s: records (-server +device):\n%s", a.Username, diff)
	}
	for k, ver := range want {
		if d.recs[k] != ver {
			return fmt.Sprintf("device of %s: %s at version %d, server %d", a.Username, k, d.recs[k], ver)
		}
	}
	return ""
}

func keysOf(m map[recKey]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k.String())
	}
	sort.Strings(out)
	return out
}

func changeKeys(p []*Page) []string {
	var out []string
	for _, pg := range p {
		for _, c := range pg.Changes {
			s := c.Collection + "/" + c.ID.String() + " " + c.Op
			if c.Reason != "" {
				s += " " + c.Reason
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func has(p []*Page, coll string, id uuid.UUID, op string) bool {
	for _, pg := range p {
		for _, c := range pg.Changes {
			if c.Collection == coll && c.ID == id && c.Op == op {
				return true
			}
		}
	}
	return false
}

func hasAny(p []*Page, id uuid.UUID) bool {
	for _, pg := range p {
		for _, c := range pg.Changes {
			if c.ID == id {
				return true
			}
		}
	}
	return false
}

func slicesSort(s []string) { slices.Sort(s) }

func jsonHas(b []byte, sub string) bool { return strings.Contains(string(b), sub) }

func asAppErr(err error) (*apperr.Error, bool) { return apperr.As(err) }
