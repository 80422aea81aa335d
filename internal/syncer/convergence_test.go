package syncer

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/store"
)

var (
	syncOps  = flag.Int("sync.ops", envInt("AGENTDESK_SYNC_OPS", 120), "operations of the randomized convergence test")
	syncSeed = flag.Uint64("sync.seed", uint64(envInt("AGENTDESK_SYNC_SEED", 20261123)), "seed of the randomized convergence test")
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// simDevice is a phone that works offline: it holds what it pulled, queues
// its own mutations and pushes them when it likes, losing responses now
// and then (and so replaying).
type simDevice struct {
	*device
	agent   *ent.Agent
	queue   []Mutation
	sent    []Mutation
	created []uuid.UUID // customers it made (prospects it may delete)
}

// sim is the randomized world: agents in two teams, a lead reassigning
// customers, an admin moving an agent between teams, the server changing
// records, and the devices.
type sim struct {
	t       *testing.T
	v       *env
	rng     *rand.Rand
	teamA   uuid.UUID
	teamB   uuid.UUID
	agents  []*ent.Agent
	leadA   *ent.Agent
	admin   *ent.Agent
	mover   *ent.Agent
	devices []*simDevice
	items   []*ent.ToolkitItem
	svc     *custsvc.Service
}

// TestConvergence runs a seeded random mix of offline edits, creates and
// deletes, pushes that are replayed or whose answers are lost, pulls in
// tiny pages with writers committing between and during them,
// reassignments and team moves. At quiescence every device holds exactly
// what its agent may see, equal to a fresh full pull, and its checksums
// match the server's. Run longer with -sync.ops=N (or AGENTDESK_SYNC_OPS)
// and another -sync.seed.
func TestConvergence(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		s := newSim(t, v, *syncSeed)
		t.Logf("seed %d, %d operations", *syncSeed, *syncOps)
		for i := range *syncOps {
			s.step(i)
		}
		s.quiesce()
	})
}

func newSim(t *testing.T, v *env, seed uint64) *sim {
	s := &sim{t: t, v: v, rng: rand.New(rand.NewPCG(seed, 7))}
	s.teamA, s.teamB = v.team("A组"), v.team("B组")
	a1, a2 := v.agent(auth.RoleAgent, &s.teamA), v.agent(auth.RoleAgent, &s.teamA)
	b1 := v.agent(auth.RoleAgent, &s.teamB)
	s.leadA = v.agent(auth.RoleTeamLead, &s.teamA)
	leadB := v.agent(auth.RoleTeamLead, &s.teamB)
	s.admin = v.agent(auth.RoleAdmin, nil)
	s.mover = a2
	s.agents = []*ent.Agent{a1, a2, b1, s.leadA, leadB}
	for _, a := range []*ent.Agent{a1, a2, b1} {
		for range 3 {
			v.family(a)
		}
	}
	for range 3 {
		s.items = append(s.items, v.toolkitItem(true))
	}
	s.svc = custsvc.NewService(v.db, v.pii, v.clock, v.e.audit)
	// a1 has two phones; everyone else one.
	for _, a := range append([]*ent.Agent{a1}, s.agents...) {
		s.devices = append(s.devices, &simDevice{device: v.device(a), agent: a})
	}
	return s
}

func (s *sim) pick(n int) int { return s.rng.IntN(n) }

func (s *sim) step(i int) {
	s.v.clock.Advance(time.Minute)
	d := s.devices[s.pick(len(s.devices))]
	switch r := s.pick(100); {
	case r < 30:
		s.offlineEdit(d)
	case r < 40:
		s.offlineCreate(d)
	case r < 45:
		s.offlineDelete(d)
	case r < 60:
		s.push(d)
	case r < 78:
		s.pull(d)
	default:
		if err := s.serverChange(s.rng); err != nil {
			s.t.Fatalf("step %d: %v", i, err)
		}
	}
}

// pickRecord chooses a record of coll that the device holds.
func (s *sim) pickRecord(d *simDevice, coll string) (uuid.UUID, int64, bool) {
	var keys []recKey
	for k, ver := range d.recs {
		if k.coll == coll && ver > 0 { // not records made offline and not yet pushed
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return uuid.Nil, 0, false
	}
	slices.SortFunc(keys, func(a, b recKey) int { return slices.Compare(a.id[:], b.id[:]) })
	k := keys[s.pick(len(keys))]
	return k.id, d.recs[k], true
}

// enqueue queues a mutation; a create also makes the record on the
// device at once (version 0: not yet synced).
func (s *sim) enqueue(d *simDevice, m Mutation) {
	m.MutationID = uuid.NewString()
	d.queue = append(d.queue, m)
	d.note(recKey{m.Collection, m.ID}, "enqueue %s %s base %d", m.Op, m.MutationID[:8], m.BaseVersion)
	if m.Op == OpUpsert && m.BaseVersion == 0 {
		d.recs[recKey{m.Collection, m.ID}] = 0
	}
}

func (s *sim) offlineEdit(d *simDevice) {
	switch s.pick(4) {
	case 0:
		if id, ver, ok := s.pickRecord(d, store.Customers); ok {
			fields := [][]any{{"occupation", fmt.Sprintf("职业%d", s.pick(5))}, {"tags", []string{fmt.Sprintf("标签%d", s.pick(3))}},
				{"name", fmt.Sprintf("客户%d", s.pick(50))}}
			f := fields[s.pick(len(fields))]
			s.enqueue(d, Mutation{Collection: store.Customers, Op: OpUpsert, ID: id, BaseVersion: ver, Data: data(f...)})
		}
	case 1:
		if id, ver, ok := s.pickRecord(d, store.Tasks); ok {
			st := []string{"todo", "done", "skipped"}[s.pick(3)]
			kv := []any{"status", st}
			if st == "skipped" {
				kv = append(kv, "skip_reason", "客户出差")
			}
			s.enqueue(d, Mutation{Collection: store.Tasks, Op: OpUpsert, ID: id, BaseVersion: ver, Data: data(kv...)})
		}
	case 2:
		if id, ver, ok := s.pickRecord(d, store.Notifications); ok {
			s.enqueue(d, Mutation{Collection: store.Notifications, Op: OpUpsert, ID: id, BaseVersion: ver,
				Data: data("read_at", s.v.clock.Now())})
		}
	default:
		if id, ver, ok := s.pickRecord(d, store.Interactions); ok {
			s.enqueue(d, Mutation{Collection: store.Interactions, Op: OpUpsert, ID: id, BaseVersion: ver,
				Data: data("result", fmt.Sprintf("结果%d", s.pick(9)))})
		}
	}
}

func (s *sim) offlineCreate(d *simDevice) {
	c, _, ok := s.pickRecord(d, store.Customers)
	switch {
	case !ok || s.pick(3) == 0:
		id := uuid.Must(uuid.NewV7())
		d.created = append(d.created, id)
		s.enqueue(d, Mutation{Collection: store.Customers, Op: OpUpsert, ID: id, Data: data("name", "新客户", "phone", "13700001111")})
	case s.pick(2) == 0:
		s.enqueue(d, Mutation{Collection: store.Interactions, Op: OpUpsert, ID: uuid.Must(uuid.NewV7()),
			Data: data("customer_id", c, "channel", "visit", "type", "revisit", "content", "上门回访")})
	default:
		s.enqueue(d, Mutation{Collection: store.Tasks, Op: OpUpsert, ID: uuid.Must(uuid.NewV7()),
			Data: data("customer_id", c, "title", "回访", "due_at", s.v.clock.Now().Add(48*time.Hour))})
	}
}

func (s *sim) offlineDelete(d *simDevice) {
	if len(d.created) == 0 {
		return
	}
	id := d.created[s.pick(len(d.created))]
	if ver, ok := d.recs[recKey{store.Customers, id}]; ok {
		s.enqueue(d, Mutation{Collection: store.Customers, Op: OpDelete, ID: id, BaseVersion: ver})
	}
}

// push sends the queue, maybe replaying mutations sent before, and maybe
// losing the answer (the mutations stay queued and go again).
func (s *sim) push(d *simDevice) {
	if len(d.queue) == 0 {
		return
	}
	batch := slices.Clone(d.queue)
	if len(d.sent) > 0 && s.pick(3) == 0 {
		batch = append(batch, d.sent[s.pick(len(d.sent))])
	}
	res, err := s.v.e.Push(d.ctx, PushRequest{DeviceID: uuid.New(), Mutations: batch})
	if err != nil {
		s.t.Fatalf("push: %v", err)
	}
	if d.pushed == nil {
		d.pushed = map[recKey]bool{}
	}
	for _, m := range batch {
		d.pushed[recKey{m.Collection, m.ID}] = true
	}
	if s.pick(5) == 0 {
		for i, m := range batch {
			d.note(recKey{m.Collection, m.ID}, "push %s lost: %s", m.MutationID[:8], res.Results[i].Status)
		}
		return // the answer was lost
	}
	s.ack(d, res.Results)
	d.sent = append(d.sent, d.queue...)
	d.queue = nil
}

// ack applies results as a client does: a record it still holds takes
// the version the server gave its change (so its next pull may skip
// that version); a record that left it meanwhile (a pull dropped it) is
// not brought back by an answer; a create the server refused goes.
func (s *sim) ack(d *simDevice, results []Result) {
	for i, r := range results {
		if i >= len(d.queue) {
			break
		}
		m := d.queue[i]
		k := recKey{m.Collection, m.ID}
		cur, held := d.recs[k]
		d.note(k, "ack %s %s base %d → %s %v (held %v v%d)", m.Op, m.MutationID[:8], m.BaseVersion, r.Status, r.Version, held, cur)
		switch {
		case !held:
		case r.Status == StatusGone || r.Status == StatusRejected:
			if cur == 0 {
				delete(d.recs, k)
			}
		case m.Op == OpDelete:
			delete(d.recs, k)
		case r.Version != nil && *r.Version > cur:
			d.recs[k] = *r.Version
		}
	}
}

// pull pulls in tiny pages; writers commit between pages and while they
// are read.
func (s *sim) pull(d *simDevice) {
	limit := []int{1, 2, 3, 8, 40, 200}[s.pick(6)]
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	if s.pick(2) == 0 {
		wg.Add(1)
		rng := rand.New(rand.NewPCG(s.rng.Uint64(), 1))
		go func() {
			defer wg.Done()
			for range 1 + rng.IntN(12) {
				if ctx.Err() != nil {
					return
				}
				if err := s.serverChange(rng); err != nil {
					select {
					case errc <- err:
					default:
					}
					return
				}
			}
		}()
	}
	cur := d.cursor
	var pages []*Page
	for {
		p, err := s.v.e.Pull(d.ctx, PullRequest{Cursor: cur, Limit: limit})
		if err != nil {
			cancel()
			s.t.Fatalf("pull: %v", err)
		}
		d.apply(p)
		pages = append(pages, p)
		cur = p.Cursor
		if !p.HasMore {
			break
		}
		if s.pick(4) == 0 {
			if err := s.serverChange(s.rng); err != nil {
				s.t.Fatal(err)
			}
		}
	}
	cancel()
	wg.Wait()
	d.snapshotDone(d.cursor == "", &pages)
	c0, _ := decodeCursor(s.v.e.key, d.cursor)
	c1, _ := decodeCursor(s.v.e.key, cur)
	d.note(recKey{"pulls", uuid.Nil}, "pull %d → %d", c0.w, c1.w)
	select {
	case err := <-errc:
		s.t.Fatalf("concurrent writer: %v", err)
	default:
	}
	d.cursor = cur
}

// maxCustomers keeps the books small enough for pulls in pages of one
// change to stay quick.
const maxCustomers = 60

// serverChange is a change by someone else than the devices: the lead,
// the admin, the insurer's systems or the server's jobs.
func (s *sim) serverChange(rng *rand.Rand) error {
	ctx := s.v.sys()
	custs, err := s.v.db.Client.Customer.Query().Order(ent.Asc(customer.FieldID)).All(ctx)
	if err != nil || len(custs) == 0 {
		return err
	}
	c := custs[rng.IntN(len(custs))]
	err = func() error {
		switch r := rng.IntN(100); {
		case r < 22: // the lead reassigns within team A
			var team []*ent.Agent
			for _, a := range s.agents {
				cur, err := s.v.db.Client.Agent.Get(ctx, a.ID)
				if err != nil {
					return err
				}
				if cur.TeamID != nil && *cur.TeamID == s.teamA && cur.Role == "agent" {
					team = append(team, cur)
				}
			}
			if len(team) == 0 {
				return nil
			}
			to := team[rng.IntN(len(team))]
			_, err := s.svc.Update(s.v.as(s.leadA), c.ID, nil, custsvc.Input{AgentID: &to.ID})
			return ignoreClient(err)
		case r < 30: // the admin reassigns anywhere
			to := s.agents[rng.IntN(3)]
			_, err := s.svc.Update(s.v.as(s.admin), c.ID, nil, custsvc.Input{AgentID: &to.ID})
			return ignoreClient(err)
		case r < 32: // the admin moves an agent between teams
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				q := tx.Agent.Query().Where(agent.ID(s.mover.ID))
				if s.v.db.Dialect == dialect.Postgres {
					q.ForUpdate()
				}
				cur, err := q.Only(ctx)
				if err != nil {
					return err
				}
				to := &s.teamB
				if cur.TeamID != nil && *cur.TeamID == s.teamB {
					to = &s.teamA
				}
				if err := tx.Agent.UpdateOneID(s.mover.ID).SetTeamID(*to).Exec(ctx); err != nil {
					return err
				}
				return RecordTeamMove(ctx, s.mover.ID, cur.TeamID, to)
			})
		case r < 46:
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(c.ID).SetOccupation(fmt.Sprintf("服务器%d", rng.IntN(5))).Exec(ctx)
			})
		case r < 56: // the server changes records under a customer
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				if _, err := tx.Task.Update().Where(task.CustomerID(c.ID)).SetTitle(fmt.Sprintf("计划%d", rng.IntN(5))).Save(ctx); err != nil {
					return err
				}
				_, err := tx.Portrait.Update().Where(portrait.CustomerID(c.ID)).SetOpenComplaints(rng.IntN(3)).Save(ctx)
				return err
			})
		case r < 61: // the insurer's systems load a customer with everything under it
			if len(custs) < maxCustomers {
				s.v.family(s.agents[rng.IntN(3)])
			}
			return nil
		case r < 78:
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				_, err := tx.Interaction.Create().SetCustomerID(c.ID).SetChannel("phone").SetType("consultation").
					SetContent("来电咨询").SetReceivedAt(s.v.clock.Now()).Save(ctx)
				return err
			})
		case r < 82:
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				_, err := tx.Interaction.Delete().Where(interaction.CustomerID(c.ID)).Exec(ctx)
				return err
			})
		case r < 91:
			to := s.agents[rng.IntN(len(s.agents))]
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				_, err := tx.Notification.Create().SetAgentID(to.ID).SetCustomerID(c.ID).SetKind("system").SetTitle("提醒").Save(ctx)
				return err
			})
		case r < 98:
			it := s.items[rng.IntN(len(s.items))]
			return s.v.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				cur, err := tx.ToolkitItem.Get(ctx, it.ID)
				if err != nil {
					return err
				}
				st := toolkititem.StatusPublished
				if cur.Status == st {
					st = toolkititem.StatusRetired
				}
				return tx.ToolkitItem.UpdateOneID(it.ID).SetStatus(st).Exec(ctx)
			})
		default: // the admin deletes a customer with everything under it
			return ignoreClient(s.svc.Delete(s.v.as(s.admin), c.ID, nil))
		}
	}()
	return ignoreClient(err)
}

// ignoreClient drops errors that the rules raise against a random change
// (a reassignment the rules refuse), or that a concurrent change causes
// (a customer deleted meanwhile).
func ignoreClient(err error) error {
	if _, ok := asAppErr(err); ok || ent.IsNotFound(err) || ent.IsConstraintError(err) {
		return nil
	}
	return err
}

// quiesce pushes every queue, pulls every device and checks convergence.
func (s *sim) quiesce() {
	for _, d := range s.devices {
		for len(d.queue) > 0 {
			res, err := s.v.e.Push(d.ctx, PushRequest{DeviceID: uuid.New(), Mutations: d.queue})
			if err != nil {
				s.t.Fatal(err)
			}
			s.ack(d, res.Results)
			d.queue = nil
		}
	}
	for _, d := range s.devices {
		d.pull(3)
	}
	for _, d := range s.devices {
		if m := d.mismatch(d.agent); m != "" {
			s.diagnose(d)
			s.t.Fatal(m)
		}
		fresh := s.v.device(d.agent)
		fresh.pull(MaxLimit)
		if diff := keysOf(fresh.recs); !slices.Equal(diff, keysOf(d.recs)) {
			s.t.Fatalf("device of %s differs from a fresh pull", d.agent.Username)
		}
		rep, err := s.v.e.Checksum(d.ctx, d.cursor)
		if err != nil {
			s.t.Fatal(err)
		}
		want := clientChecksums(d.recs)
		for _, coll := range Collections {
			if rep.Collections[coll] != want[coll] {
				s.t.Errorf("device of %s: %s checksum server %+v, device %+v", d.agent.Username, coll, rep.Collections[coll], want[coll])
			}
		}
	}
}
