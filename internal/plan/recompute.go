package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	entportrait "github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/store"
)

// ServerMeta keys of the Recomputer's progress.
const (
	// MetaWatermark is the last change-log sequence whose customers were
	// recomputed.
	MetaWatermark = "recompute_watermark"
	// MetaBook is the signature (rules version, published toolkit, day)
	// the whole book was last recomputed at.
	MetaBook = "recompute_book"
	// MetaSweep is the progress of a whole-book sweep under way.
	MetaSweep = "recompute_sweep"
)

// recomputerLock is the PostgreSQL advisory-lock key that lets one replica
// at a time run the Recomputer.
const recomputerLock = 0x61647263 // "adrc"

// inputCollections are the change-log collections a portrait or plan
// derives from. (NPS answers and products are not change-logged; whoever
// records one calls Enqueue.)
var inputCollections = []string{store.Customers, store.Policies, store.Interactions, store.Complaints, store.Claims}

// Recomputer keeps portraits and plans current in the background: it tails
// the change log from a saved watermark and recomputes the customers whose
// inputs changed, and it sweeps the whole book (in batches, resumably)
// when the rules version, the published toolkit or the day changes — day
// counts such as "premium due in 3 days" move with the calendar. Writes
// happen only for customers whose portrait or plan actually changes, so
// neither a bulk policy load nor a rule change blocks the API: they only
// queue work here.
type Recomputer struct {
	db      *store.DB
	clock   clock.Clock
	log     *slog.Logger
	workers int

	// BatchSize is the number of change-log entries, or customers of a
	// sweep, handled between two progress saves.
	BatchSize int
	// SweepZone is the zone whose midnight starts a new day's sweep.
	SweepZone *time.Location
	// TxCustomers customers are recomputed in one transaction (1: each in
	// its own). A bulk load sets more: a commit per customer is most of
	// a fresh book's recompute on SQLite. A failed customer then rolls
	// back the others of its transaction, and they are retried at the
	// next run.
	TxCustomers int
	// SweepOrder, when set, lists the customers of a whole-book sweep in
	// the order to take them, instead of their ids' order. A bulk load
	// passes the order it wrote them in: their records were written in
	// that order too, so the sweep reads each table front to back, where
	// the ids' order reads it at random (on a database larger than
	// memory, a disk read per customer). Such a sweep does not save its
	// progress: one interrupted starts over at the next run.
	SweepOrder func(ctx context.Context) ([]uuid.UUID, error)

	mu      sync.Mutex
	pending map[uuid.UUID]struct{}
	kick    chan struct{}
}

// NewRecomputer returns a Recomputer with workers concurrent recomputes
// (at least 1).
func NewRecomputer(db *store.DB, clk clock.Clock, log *slog.Logger, workers int) *Recomputer {
	var z portrait.Zones
	return &Recomputer{
		db: db, clock: clk, log: log, workers: max(workers, 1),
		BatchSize: 1000, SweepZone: z.Get(portrait.DefaultTimeZone), TxCustomers: 1,
		pending: map[uuid.UUID]struct{}{}, kick: make(chan struct{}, 1),
	}
}

// Enqueue asks for customers to be recomputed at the next run (for inputs
// the change log does not carry, such as NPS answers).
func (r *Recomputer) Enqueue(ids ...uuid.UUID) {
	r.mu.Lock()
	for _, id := range ids {
		r.pending[id] = struct{}{}
	}
	r.mu.Unlock()
	r.wake()
}

func (r *Recomputer) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *Recomputer) takePending() []uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]uuid.UUID, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
	}
	clear(r.pending)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return compareUUID(a, b) })
	return ids
}

func compareUUID(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Stats says what a run did.
type Stats struct {
	Customers        int   // customers recomputed
	PortraitsWritten int   // portraits written
	PlansWritten     int   // plans written
	Swept            bool  // the whole book was swept
	Watermark        int64 // the change-log sequence handled
}

func (s *Stats) add(o Stats) {
	s.Customers += o.Customers
	s.PortraitsWritten += o.PortraitsWritten
	s.PlansWritten += o.PlansWritten
}

type sweepState struct {
	Sig   string    `json:"sig"`
	After uuid.UUID `json:"after"`
	Mark  int64     `json:"mark"`

	// ordered is the rest of a SweepOrder sweep (nil until it is read).
	ordered []uuid.UUID
}

// RunOnce does what is pending and returns: the change log since the
// watermark, a whole-book sweep if one is due (resuming one that was
// interrupted), and the customers enqueued. Sweep batches and change-log
// pages alternate, so that a long sweep does not hold back the customers
// whose inputs just changed. On PostgreSQL a replica that finds another one
// running returns at once.
func (r *Recomputer) RunOnce(ctx context.Context) (Stats, error) {
	ctx = auth.SystemContext(ctx)
	release, ok, err := r.lead(ctx)
	if err != nil || !ok {
		return Stats{}, err
	}
	defer release()
	now := r.clock.Now()
	env, err := LoadEnv(ctx, r.db.Client)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	wm, err := readCounter(ctx, r.db.Client, MetaWatermark)
	if err != nil {
		return Stats{}, err
	}
	sig := fmt.Sprintf("r%d/t%s/d%s", env.RulesVersion, toolkitDigest(env.ToolkitByKey), now.In(r.SweepZone).Format(time.DateOnly))
	sw, err := r.startSweep(ctx, sig)
	if err != nil {
		return Stats{}, err
	}
	if sw != nil {
		// The sweep recomputes every customer after reading its mark, so it
		// covers every change up to the mark; the tail starts there. This
		// holds across restarts because the sweep resumes with its mark.
		wm = max(wm, sw.Mark)
	}
	for {
		read, err := r.tail(ctx, env, &wm, now, &st)
		if err != nil {
			return st, err
		}
		if sw == nil {
			if read < r.BatchSize {
				break
			}
			continue
		}
		done, err := r.sweepBatch(ctx, env, sw, now, &st)
		if err != nil {
			return st, err
		}
		if done {
			if err := r.setMeta(ctx, MetaWatermark, strconv.FormatInt(wm, 10)); err != nil {
				return st, err
			}
			if err := r.setMeta(ctx, MetaBook, sig); err != nil {
				return st, err
			}
			st.Swept, sw = true, nil
		}
	}
	s, err := r.process(ctx, env, r.takePending(), now)
	st.add(s)
	st.Watermark = wm
	return st, err
}

// tail recomputes the customers of one page of the change log after *wm
// (and those enqueued), then saves the new watermark. It returns the
// number of entries read.
func (r *Recomputer) tail(ctx context.Context, env *Env, wm *int64, now time.Time, st *Stats) (int, error) {
	rows, err := r.db.Client.ChangeLog.Query().Where(changelog.IDGT(*wm)).Order(ent.Asc(changelog.FieldID)).
		Limit(r.BatchSize).Select(changelog.FieldID, changelog.FieldCollection, changelog.FieldCustomerID).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("tail change log: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	var ids []uuid.UUID
	for _, c := range rows {
		if c.CustomerID != nil && slices.Contains(inputCollections, c.Collection) {
			ids = append(ids, *c.CustomerID)
		}
	}
	r.Enqueue(ids...)
	s, err := r.process(ctx, env, r.takePending(), now)
	st.add(s)
	if err != nil {
		return 0, err
	}
	*wm = rows[len(rows)-1].ID
	return len(rows), r.setMeta(ctx, MetaWatermark, strconv.FormatInt(*wm, 10))
}

// startSweep returns the sweep to run: nil when the book is current for
// sig, the saved one when it was interrupted, or a new one marked at the
// change log's current end.
func (r *Recomputer) startSweep(ctx context.Context, sig string) (*sweepState, error) {
	book, err := r.meta(ctx, MetaBook)
	if err != nil || book == sig {
		return nil, err
	}
	var cur sweepState
	if raw, err := r.meta(ctx, MetaSweep); err != nil {
		return nil, err
	} else if raw != "" {
		_ = json.Unmarshal([]byte(raw), &cur)
	}
	if cur.Sig != sig {
		mark, err := r.db.Client.ChangeLog.Query().Order(ent.Desc(changelog.FieldID)).FirstID(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("change-log mark: %w", err)
		}
		cur = sweepState{Sig: sig, Mark: mark}
	}
	r.log.Info("recomputing the whole book", "signature", sig)
	return &cur, nil
}

// sweepBatch recomputes the next BatchSize customers of the sweep and saves
// its progress; it reports whether the sweep is complete.
func (r *Recomputer) sweepBatch(ctx context.Context, env *Env, sw *sweepState, now time.Time, st *Stats) (bool, error) {
	if r.SweepOrder != nil {
		return r.sweepOrdered(ctx, env, sw, now, st)
	}
	ids, err := r.db.Client.Customer.Query().Where(customer.IDGT(sw.After)).
		Order(ent.Asc(customer.FieldID)).Limit(r.BatchSize).IDs(ctx)
	if err != nil {
		return false, fmt.Errorf("sweep customers: %w", err)
	}
	if len(ids) == 0 {
		return true, nil
	}
	s, err := r.process(ctx, env, ids, now)
	st.add(s)
	if err != nil {
		return false, err
	}
	sw.After = ids[len(ids)-1]
	r.log.Debug("sweep batch recomputed", "customers", len(ids))
	b, _ := json.Marshal(sw)
	if err := r.setMeta(ctx, MetaSweep, string(b)); err != nil {
		return false, err
	}
	return len(ids) < r.BatchSize, nil
}

// sweepOrdered is sweepBatch in the order of SweepOrder.
func (r *Recomputer) sweepOrdered(ctx context.Context, env *Env, sw *sweepState, now time.Time, st *Stats) (bool, error) {
	if sw.ordered == nil {
		ids, err := r.SweepOrder(ctx)
		if err != nil {
			return false, fmt.Errorf("sweep order: %w", err)
		}
		sw.ordered = ids
	}
	ids := sw.ordered[:min(r.BatchSize, len(sw.ordered))]
	s, err := r.process(ctx, env, ids, now)
	st.add(s)
	if err != nil {
		return false, err
	}
	sw.ordered = sw.ordered[len(ids):]
	r.log.Debug("sweep batch recomputed", "customers", len(ids), "left", len(sw.ordered))
	return len(sw.ordered) == 0, nil
}

// process recomputes customers with the Recomputer's workers, TxCustomers
// to a transaction. A customer deleted meanwhile is skipped; any other
// failure stops the run (after the customers under way) so that the
// watermark does not pass it.
func (r *Recomputer) process(ctx context.Context, env *Env, ids []uuid.UUID, now time.Time) (Stats, error) {
	var (
		mu   sync.Mutex
		st   Stats
		errs []error
		wg   sync.WaitGroup
		next = make(chan []uuid.UUID)
		per  = max(r.TxCustomers, 1)
	)
	for range min(r.workers, (len(ids)+per-1)/per) {
		wg.Go(func() {
			for chunk := range next {
				s, err := r.chunk(ctx, env, chunk, now)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					st.add(s)
				}
				mu.Unlock()
			}
		})
	}
	for start := 0; start < len(ids); start += per {
		mu.Lock()
		failed := len(errs) > 0
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		next <- ids[start:min(start+per, len(ids))]
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return st, fmt.Errorf("recompute: %w", errors.Join(errs...))
	}
	return st, ctx.Err()
}

// chunk recomputes ids. Several are loaded together (portrait.
// LoadInputsBatch) and written in one shared transaction; it counts what
// was written once that transaction committed.
func (r *Recomputer) chunk(ctx context.Context, env *Env, ids []uuid.UUID, now time.Time) (Stats, error) {
	var st Stats
	count := func(res CustomerResult) {
		st.Customers++
		if res.PortraitWritten {
			st.PortraitsWritten++
		}
		if res.Plan.Changed {
			st.PlansWritten++
		}
	}
	if len(ids) == 1 {
		res, err := RecomputeCustomer(ctx, r.db, env, ids[0], now)
		switch {
		case apperr.KindOf(err) == apperr.KindNotFound:
			return st, nil
		case err != nil:
			return st, err
		}
		count(res)
		return st, nil
	}
	ins, err := portrait.LoadInputsBatch(ctx, r.db.Client, ids)
	if err != nil {
		return st, err
	}
	err = r.db.WithSharedTx(ctx, func(ctx context.Context) error {
		return recomputeLoaded(ctx, r.db, env, ids, ins, now, count)
	})
	if err != nil {
		return Stats{}, err
	}
	return st, nil
}

// recomputeLoaded recomputes the customers ids whose inputs ins holds (a
// customer missing there was deleted: skipped) in ctx's shared
// transaction. Customers with neither a portrait nor a plan yet, a fresh
// book's, are written with one bulk insert per table; the others are
// reconciled one by one.
func recomputeLoaded(ctx context.Context, db *store.DB, env *Env, ids []uuid.UUID, ins map[uuid.UUID]*portrait.Inputs,
	now time.Time, count func(CustomerResult)) error {
	tx := ent.TxFromContext(ctx)
	var found []uuid.UUID
	for _, id := range ids {
		if _, ok := ins[id]; ok {
			found = append(found, id)
		}
	}
	if err := portrait.LockCustomers(ctx, tx, db.Dialect, found); err != nil {
		return err
	}
	derived := map[uuid.UUID]bool{}
	ports, err := tx.Portrait.Query().Where(entportrait.CustomerIDIn(found...)).Select(entportrait.FieldCustomerID).All(ctx)
	if err != nil {
		return fmt.Errorf("read portraits: %w", err)
	}
	for _, p := range ports {
		derived[p.CustomerID] = true
	}
	plans, err := tx.ServicePlan.Query().Where(serviceplan.CustomerIDIn(found...)).Select(serviceplan.FieldCustomerID).All(ctx)
	if err != nil {
		return fmt.Errorf("read plans: %w", err)
	}
	for _, p := range plans {
		derived[p.CustomerID] = true
	}
	type fresh struct {
		in *portrait.Inputs
		d  planDiff
	}
	var (
		news    []fresh
		pcreate []*ent.PortraitCreate
		screate []*ent.ServicePlanCreate
	)
	for _, id := range found {
		in := ins[id]
		if derived[id] {
			res, err := recomputeInputs(ctx, db, env, in, now)
			if err != nil {
				return err
			}
			count(res)
			continue
		}
		p, steps := env.Steps(in, now)
		news = append(news, fresh{in: in, d: diff(&state{tasks: map[uuid.UUID]*ent.Task{}}, steps, in.Customer.AgentID)})
		pcreate = append(pcreate, portrait.NewRecord(tx, p))
		screate = append(screate, newPlan(tx, id, env.RulesVersion, stepsHash(steps), now))
	}
	if len(news) == 0 {
		return nil
	}
	err = inChunks(pcreate, func(b []*ent.PortraitCreate) error { return tx.Portrait.CreateBulk(b...).Exec(ctx) })
	if err != nil {
		return fmt.Errorf("create portraits: %w", err)
	}
	var created []*ent.ServicePlan
	err = inChunks(screate, func(b []*ent.ServicePlanCreate) error {
		sp, err := tx.ServicePlan.CreateBulk(b...).Save(ctx)
		created = append(created, sp...)
		return err
	})
	if err != nil {
		return fmt.Errorf("create plans: %w", err)
	}
	var steps []*ent.PlanStepCreate
	var tasks []*ent.TaskCreate
	for i, f := range news {
		s, t := f.d.newSteps(tx, created[i].ID, f.in.Customer.ID, f.in.Customer.AgentID, now)
		steps, tasks = append(steps, s...), append(tasks, t...)
	}
	if err := inChunks(steps, func(b []*ent.PlanStepCreate) error { return tx.PlanStep.CreateBulk(b...).Exec(ctx) }); err != nil {
		return fmt.Errorf("create plan steps: %w", err)
	}
	if err := inChunks(tasks, func(b []*ent.TaskCreate) error { return tx.Task.CreateBulk(b...).Exec(ctx) }); err != nil {
		return fmt.Errorf("create plan tasks: %w", err)
	}
	for i, f := range news {
		count(CustomerResult{PortraitWritten: true, Plan: Result{PlanID: created[i].ID, Changed: true, Created: len(f.d.creates)}})
	}
	return nil
}

// inChunks calls fn with successive parts of items small enough for one
// INSERT's bound parameters (the widest builder has ~20 columns).
func inChunks[T any](items []T, fn func([]T) error) error {
	const n = 500
	for start := 0; start < len(items); start += n {
		if err := fn(items[start:min(start+n, len(items))]); err != nil {
			return err
		}
	}
	return nil
}

// CustomerResult says what recomputing one customer wrote.
type CustomerResult struct {
	PortraitWritten bool
	Plan            Result
}

// RecomputeCustomer recomputes one customer's portrait and plan with env,
// loading the inputs once; it writes only what changed.
func RecomputeCustomer(ctx context.Context, db *store.DB, env *Env, customerID uuid.UUID, now time.Time) (CustomerResult, error) {
	in, err := portrait.LoadInputs(ctx, db.Client, customerID)
	if err != nil {
		return CustomerResult{}, err
	}
	return recomputeInputs(ctx, db, env, in, now)
}

// recomputeInputs is RecomputeCustomer with the inputs loaded.
func recomputeInputs(ctx context.Context, db *store.DB, env *Env, in *portrait.Inputs, now time.Time) (CustomerResult, error) {
	p, steps := env.Steps(in, now)
	var res CustomerResult
	var err error
	if res.PortraitWritten, err = portrait.Save(ctx, db, p); err != nil {
		return res, err
	}
	res.Plan, err = Reconcile(ctx, db, env.RulesVersion, in, steps, now)
	return res, err
}

// Run calls RunOnce every interval, and sooner when this process commits
// a change of a customer's inputs or Enqueue is called, until ctx ends.
// Failures are logged and retried at the next round.
func (r *Recomputer) Run(ctx context.Context, interval time.Duration) error {
	unsubscribe := r.db.Subscribe(func(changes []store.Change) {
		for _, c := range changes {
			if slices.Contains(inputCollections, c.Collection) {
				r.wake()
				return
			}
		}
	})
	defer unsubscribe()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		st, err := r.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			r.log.Error("recompute portraits and plans", "err", err)
		case st.Customers > 0:
			r.log.Info("recomputed portraits and plans", "customers", st.Customers,
				"portraits_written", st.PortraitsWritten, "plans_written", st.PlansWritten, "swept", st.Swept)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.kick:
		}
	}
}

// lead takes the PostgreSQL session lock that makes this replica the one
// recomputing; ok is false when another holds it. SQLite has one process.
func (r *Recomputer) lead(ctx context.Context) (release func(), ok bool, err error) {
	if r.db.Dialect != dialect.Postgres {
		return func() {}, true, nil
	}
	conn, err := r.db.SQL.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("recompute lock: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", int64(recomputerLock)).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("recompute lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(recomputerLock))
		conn.Close()
	}, true, nil
}

func (r *Recomputer) meta(ctx context.Context, key string) (string, error) {
	m, err := r.db.Client.ServerMeta.Get(ctx, key)
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read server meta %s: %w", key, err)
	}
	return m.Value, nil
}

func (r *Recomputer) setMeta(ctx context.Context, key, value string) error {
	err := r.db.Client.ServerMeta.Create().SetID(key).SetValue(value).SetUpdatedAt(r.clock.Now()).
		OnConflictColumns(servermeta.FieldID).UpdateNewValues().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save server meta %s: %w", key, err)
	}
	return nil
}

// toolkitDigest digests the published keys and ids.
func toolkitDigest(m map[string]uuid.UUID) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		id := m[k]
		h.Write([]byte(k))
		h.Write(id[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
