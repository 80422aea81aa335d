package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
)

// Collection names of the change log; the sync protocol uses the same.
const (
	Customers     = "customers"
	Portraits     = "portraits"
	Policies      = "policies"
	Interactions  = "interactions"
	Tasks         = "tasks"
	ServicePlans  = "service_plans"
	Complaints    = "complaints"
	Claims        = "claims"
	ToolkitItems  = "toolkit_items"
	Notifications = "notifications"
)

// ErrOutsideTx is returned when a synced record is written other than
// through WithTx: such a write would not reach the change log.
var ErrOutsideTx = errors.New("store: synced records are written only inside store.WithTx")

// changeLogLock is the PostgreSQL advisory-lock key under which change-log
// sequence numbers are drawn; held until commit, it makes the sequence
// grow in commit order.
const changeLogLock = 0x6167656e74646b // "agentdk"

// collectionInfo says how to find a synced record's scope keys.
type collectionInfo struct {
	name        string
	table       string
	customerCol string // "" when the record has no customer
	agentCol    string // "" when the record's owner is its customer's agent
}

// synced maps ent type names to their collections. A type not listed here
// is not change-logged.
var synced = map[string]collectionInfo{
	ent.TypeCustomer:        {Customers, customer.Table, "id", "agent_id"},
	ent.TypePortrait:        {Portraits, portrait.Table, "customer_id", ""},
	ent.TypeInsurancePolicy: {Policies, insurancepolicy.Table, "customer_id", ""},
	ent.TypeInteraction:     {Interactions, interaction.Table, "customer_id", ""},
	ent.TypeTask:            {Tasks, task.Table, "customer_id", ""},
	ent.TypeServicePlan:     {ServicePlans, serviceplan.Table, "customer_id", ""},
	ent.TypeComplaint:       {Complaints, complaint.Table, "customer_id", ""},
	ent.TypeClaim:           {Claims, claim.Table, "customer_id", ""},
	ent.TypeToolkitItem:     {ToolkitItems, toolkititem.Table, "", ""},
	ent.TypeNotification:    {Notifications, notification.Table, "customer_id", "agent_id"},
}

// Change is one entry of the change log as a transaction produced it.
type Change struct {
	Seq        int64
	Collection string
	ID         uuid.UUID
	Op         changelog.Op
	Version    int64
	CustomerID *uuid.UUID
	AgentID    *uuid.UUID
	// PrevAgentID is set when the change moved the record to another
	// agent (uuid.Nil: it had none): the previous owner's phones must
	// drop it.
	PrevAgentID *uuid.UUID
	// TeamID and PrevTeamID describe scope events of agents (an agent
	// moving between teams), recorded with RecordEvent.
	TeamID     *uuid.UUID
	PrevTeamID *uuid.UUID
}

type changeKey struct{}

// changeBuffer collects the changes of one transaction, one per record: a
// record changed twice in a transaction is logged once, with its last
// version.
type changeBuffer struct {
	dialect string
	tx      *ent.Tx
	mu      sync.Mutex
	byKey   map[string]int
	changes []Change
	// While a savepoint is open, undo keeps each entry that add
	// overwrote, so that a rollback to the savepoint can restore it.
	undo  []undoEntry
	open  int // savepoints open
	named int // savepoints made, for their names
}

type undoEntry struct {
	i    int
	prev Change
}

func changeBufferKey(c Change) string { return c.Collection + "/" + c.ID.String() }

func (b *changeBuffer) add(c Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := changeBufferKey(c)
	if i, ok := b.byKey[k]; ok {
		// A record moved twice in one transaction left its first owner.
		if first := b.changes[i].PrevAgentID; first != nil {
			c.PrevAgentID = first
		}
		if c.PrevAgentID != nil && sameUUID(c.PrevAgentID, c.AgentID) {
			c.PrevAgentID = nil
		}
		if b.open > 0 {
			b.undo = append(b.undo, undoEntry{i: i, prev: b.changes[i]})
		}
		b.changes[i] = c
		return
	}
	b.byKey[k] = len(b.changes)
	b.changes = append(b.changes, c)
}

// WithTx runs fn in a transaction and commits it when fn returns nil. Every
// synced record that fn writes (through tx and ctx) is appended to the
// change log in the same transaction; the sequence numbers are drawn at
// commit under a lock, so the log grows in commit order. fn must use the
// ctx it is given.
func (s *DB) WithTx(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) (err error) {
	_, err = s.WithTxChanges(ctx, fn)
	return err
}

// WithTxChanges is WithTx that also returns the committed change-log
// entries, for callers that announce them.
func (s *DB) WithTxChanges(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) (changes []Change, err error) {
	if tx, ok := ctx.Value(sharedKey{}).(*ent.Tx); ok {
		// Inside WithSharedTx: join its transaction; its commit appends and
		// announces the changes.
		return nil, fn(ctx, tx)
	}
	tx, err := s.Client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	buf := &changeBuffer{dialect: s.Dialect, tx: tx, byKey: map[string]int{}}
	txCtx := context.WithValue(ctx, changeKey{}, buf)
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			if rerr := tx.Rollback(); rerr != nil {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
			}
		}
	}()
	if err = fn(txCtx, tx); err != nil {
		return nil, err
	}
	if err = s.preCommit(txCtx, tx, buf); err != nil {
		return nil, err
	}
	if changes, err = s.appendChanges(ctx, tx, buf); err != nil {
		return nil, fmt.Errorf("append change log: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	s.notify(changes)
	return changes, nil
}

// sharedKey marks a context whose WithTx calls join WithSharedTx's
// transaction.
type sharedKey struct{}

// WithSharedTx runs fn in one transaction that every WithTx call made with
// fn's ctx (or a context derived from it) joins instead of beginning its
// own: a bulk load applies many records through the usual write code and
// commits them together. fn must return any error a joined WithTx
// returned: the whole transaction is then rolled back (a failed statement
// also poisons a PostgreSQL transaction). Reads that must see the shared
// transaction's writes use ent.TxFromContext(ctx).Client().
func (s *DB) WithSharedTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(sharedKey{}).(*ent.Tx); ok {
		return fn(ctx)
	}
	return s.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		return fn(context.WithValue(ent.NewTxContext(ctx, tx), sharedKey{}, tx))
	})
}

// appendChanges writes the buffered changes. On PostgreSQL it first takes
// a transaction-scoped advisory lock, released by the commit, so that no
// two transactions draw sequence numbers concurrently: a transaction with a
// higher sequence number commits after every lower one. On SQLite the
// write transaction itself holds the database lock.
func (s *DB) appendChanges(ctx context.Context, tx *ent.Tx, buf *changeBuffer) ([]Change, error) {
	buf.mu.Lock()
	changes := buf.changes
	buf.mu.Unlock()
	if len(changes) == 0 {
		return nil, nil
	}
	if s.Dialect == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(changeLogLock)); err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
	}
	// The log is the server's own bookkeeping, written whoever's change it is.
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	at := s.clock.Now()
	const chunk = 1000 // 11 columns each, well under PostgreSQL's 65535 parameters
	for start := 0; start < len(changes); start += chunk {
		end := min(start+chunk, len(changes))
		builders := make([]*ent.ChangeLogCreate, 0, end-start)
		for _, c := range changes[start:end] {
			builders = append(builders, tx.ChangeLog.Create().
				SetCollection(c.Collection).SetRecordID(c.ID).SetOp(c.Op).SetVersion(c.Version).
				SetNillableCustomerID(c.CustomerID).SetNillableAgentID(c.AgentID).SetNillablePrevAgentID(c.PrevAgentID).
				SetNillableTeamID(c.TeamID).SetNillablePrevTeamID(c.PrevTeamID).SetCommittedAt(at))
		}
		rows, err := tx.ChangeLog.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			changes[start+i].Seq = r.ID
		}
	}
	return changes, nil
}

// changeHook bumps the version of every synced record a mutation touches
// and records the change in the transaction's buffer.
func changeHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		info, ok := synced[m.Type()]
		if !ok {
			return next.Mutate(ctx, m)
		}
		buf, _ := ctx.Value(changeKey{}).(*changeBuffer)
		if buf == nil {
			return nil, fmt.Errorf("%s %s: %w", m.Op(), m.Type(), ErrOutsideTx)
		}
		switch {
		case m.Op().Is(ent.OpCreate):
			return createChange(ctx, next, m, info, buf)
		case m.Op().Is(ent.OpUpdate | ent.OpUpdateOne):
			return updateChange(ctx, next, m, info, buf)
		default:
			return deleteChange(ctx, next, m, info, buf)
		}
	})
}

type idMutation interface {
	ent.Mutation
	ID() (uuid.UUID, bool)
	IDs(context.Context) ([]uuid.UUID, error)
	WhereP(...func(*entsql.Selector))
	Client() *ent.Client
}

func createChange(ctx context.Context, next ent.Mutator, m ent.Mutation, info collectionInfo, buf *changeBuffer) (ent.Value, error) {
	im, ok := m.(idMutation)
	if !ok {
		return nil, fmt.Errorf("store: %s mutation lacks ids", m.Type())
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	id, _ := im.ID()
	version, _ := m.Field("version")
	c := Change{Collection: info.name, ID: id, Op: changelog.OpUpsert, Version: asInt64(version)}
	switch info.customerCol {
	case "":
	case "id":
		c.CustomerID = &id
	default:
		c.CustomerID = uuidField(m, info.customerCol)
	}
	if info.agentCol != "" {
		c.AgentID = uuidField(m, info.agentCol)
	}
	buf.add(c)
	return v, nil
}

func updateChange(ctx context.Context, next ent.Mutator, m ent.Mutation, info collectionInfo, buf *changeBuffer) (ent.Value, error) {
	im, ok := m.(idMutation)
	if !ok {
		return nil, fmt.Errorf("store: %s mutation lacks ids", m.Type())
	}
	ids, err := im.IDs(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return next.Mutate(ctx, m)
	}
	if m.Op().Is(ent.OpUpdate) {
		// Pin a bulk update to the rows found, so a row committed by another
		// transaction in between is not changed without a log entry.
		im.WhereP(entsql.FieldIn("id", ids...))
	}
	// Read (and on PostgreSQL lock) the rows first: their owner before the
	// change and the versions at which their fields last changed.
	before, err := loadScopes(ctx, im.Client(), buf.dialect, info, ids, true)
	if err != nil {
		return nil, err
	}
	if err := m.AddField("version", int64(1)); err != nil {
		return nil, fmt.Errorf("bump version: %w", err)
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	after, err := loadScopes(ctx, im.Client(), buf.dialect, info, ids, false)
	if err != nil {
		return nil, err
	}
	changed := changedFields(m)
	prev := make(map[uuid.UUID]scopeRow, len(before))
	for _, r := range before {
		prev[r.id] = r
	}
	for _, r := range after {
		b := prev[r.id]
		if len(changed) > 0 {
			fv := b.fieldVersions
			if fv == nil {
				fv = map[string]int64{}
			}
			for _, f := range changed {
				fv[f] = r.version
			}
			if err := writeFieldVersions(ctx, im.Client(), buf.dialect, info, r.id, fv); err != nil {
				return nil, err
			}
		}
		c := Change{Collection: info.name, ID: r.id, Op: changelog.OpUpsert, Version: r.version,
			CustomerID: r.customerID, AgentID: r.agentID}
		if info.agentCol != "" && !sameUUID(b.agentID, r.agentID) {
			c.PrevAgentID = b.agentID
			if c.PrevAgentID == nil {
				c.PrevAgentID = &uuid.Nil // moved from nobody
			}
		}
		buf.add(c)
	}
	return v, nil
}

// changedFields lists the columns a mutation sets or clears, without the
// bookkeeping ones.
func changedFields(m ent.Mutation) []string {
	var out []string
	for _, f := range append(m.Fields(), append(m.AddedFields(), m.ClearedFields()...)...) {
		switch f {
		case "version", "updated_at", "created_at", "field_versions":
			continue
		}
		out = append(out, f)
	}
	return out
}

func writeFieldVersions(ctx context.Context, c *ent.Client, dial string, info collectionInfo, id uuid.UUID, fv map[string]int64) error {
	b, err := json.Marshal(fv)
	if err != nil {
		return err
	}
	q, args := entsql.Dialect(dial).Update(info.table).Set("field_versions", string(b)).Where(entsql.EQ("id", id)).Query()
	if _, err := c.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("record field versions of %s: %w", info.name, err)
	}
	return nil
}

func sameUUID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func deleteChange(ctx context.Context, next ent.Mutator, m ent.Mutation, info collectionInfo, buf *changeBuffer) (ent.Value, error) {
	im, ok := m.(idMutation)
	if !ok {
		return nil, fmt.Errorf("store: %s mutation lacks ids", m.Type())
	}
	ids, err := im.IDs(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return next.Mutate(ctx, m)
	}
	im.WhereP(entsql.FieldIn("id", ids...))
	rows, err := loadScopes(ctx, im.Client(), buf.dialect, info, ids, false)
	if err != nil {
		return nil, err
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		buf.add(Change{Collection: info.name, ID: r.id, Op: changelog.OpDelete, Version: r.version + 1,
			CustomerID: r.customerID, AgentID: r.agentID})
	}
	return v, nil
}

type scopeRow struct {
	id            uuid.UUID
	version       int64
	customerID    *uuid.UUID
	agentID       *uuid.UUID
	fieldVersions map[string]int64
}

// loadScopes reads the version, scope keys and field versions of records
// inside the mutation's transaction; lock takes row locks on PostgreSQL.
func loadScopes(ctx context.Context, c *ent.Client, dial string, info collectionInfo, ids []uuid.UUID, lock bool) ([]scopeRow, error) {
	cols := []string{"id", "version", "field_versions"}
	if info.customerCol != "" {
		cols = append(cols, info.customerCol)
	}
	if info.agentCol != "" {
		cols = append(cols, info.agentCol)
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	sel := entsql.Dialect(dial).Select(cols...).From(entsql.Table(info.table)).Where(entsql.In("id", args...))
	if lock && dial == dialect.Postgres {
		sel.ForUpdate()
	}
	query, qargs := sel.Query()
	rows, err := c.QueryContext(ctx, query, qargs...)
	if err != nil {
		return nil, fmt.Errorf("load %s scopes: %w", info.name, err)
	}
	defer rows.Close()
	var out []scopeRow
	for rows.Next() {
		var (
			r        scopeRow
			fv       []byte
			cust, ag uuid.NullUUID
		)
		dest := []any{&r.id, &r.version, &fv}
		if info.customerCol != "" {
			dest = append(dest, &cust)
		}
		if info.agentCol != "" {
			dest = append(dest, &ag)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan %s scope: %w", info.name, err)
		}
		if len(fv) > 0 {
			if err := json.Unmarshal(fv, &r.fieldVersions); err != nil {
				return nil, fmt.Errorf("field versions of %s %s: %w", info.name, r.id, err)
			}
		}
		if cust.Valid {
			r.customerID = &cust.UUID
		}
		if ag.Valid {
			r.agentID = &ag.UUID
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func uuidField(m ent.Mutation, name string) *uuid.UUID {
	v, ok := m.Field(name)
	if !ok {
		return nil
	}
	switch id := v.(type) {
	case uuid.UUID:
		return &id
	case *uuid.UUID:
		return id
	}
	return nil
}

func asInt64(v ent.Value) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

// Agents is the change-log collection of scope events of agents; it
// carries no record data. An entry's Version says what happened.
const Agents = "agents"

// Versions of Agents entries.
const (
	// AgentTeamMoved: the agent moved from PrevTeamID to TeamID (older
	// entries have version 0).
	AgentTeamMoved int64 = 1
	// AgentRoleChanged: the agent's role changed, so the agent's own scope
	// did; TeamID and PrevTeamID are its team after and before (a move too
	// when they differ).
	AgentRoleChanged int64 = 2
	// AgentLeftAdmin: AgentRoleChanged from admin to another role, so
	// the whole company but the new book left the agent's scope.
	AgentLeftAdmin int64 = 3
)

// RecordEvent appends an event that is not a row change — an agent moving
// between teams — to the transaction's change log. It must run inside
// WithTx with the ctx it gave.
func RecordEvent(ctx context.Context, c Change) error {
	buf, _ := ctx.Value(changeKey{}).(*changeBuffer)
	if buf == nil {
		return ErrOutsideTx
	}
	if c.Op == "" {
		c.Op = changelog.OpUpsert
	}
	buf.add(c)
	return nil
}

// RecordAgentEvent appends an Agents scope event of kind (AgentTeamMoved,
// AgentRoleChanged or AgentLeftAdmin): the agent moved from team from to
// team to (nil: none; the same team when only the role changed). Call it
// once per transaction inside WithTx, with the ctx it gave.
func RecordAgentEvent(ctx context.Context, agentID uuid.UUID, from, to *uuid.UUID, kind int64) error {
	return RecordEvent(ctx, Change{Collection: Agents, ID: agentID, Op: changelog.OpUpsert, AgentID: &agentID,
		Version: kind, TeamID: to, PrevTeamID: from})
}

// Listener is told of every committed batch of changes, after commit.
type Listener func(changes []Change)

// Subscribe registers l for the changes this process commits; the returned
// function removes it. (Other replicas' changes arrive through polling
// the log.)
func (s *DB) Subscribe(l Listener) (unsubscribe func()) { return s.listeners.add(l) }

// PreCommit is told of a transaction's changes before it commits (their
// Seq not yet drawn), inside it: what it writes through tx commits or
// rolls back with them, and an error it returns rolls the transaction
// back. It must not write synced records.
type PreCommit func(ctx context.Context, tx *ent.Tx, changes []Change) error

// OnPreCommit registers h for every transaction of WithTx in this process
// that changes synced records; the returned function removes it.
func (s *DB) OnPreCommit(h PreCommit) (remove func()) { return s.preCommits.add(h) }

func (s *DB) preCommit(ctx context.Context, tx *ent.Tx, buf *changeBuffer) error {
	hs := s.preCommits.all()
	if len(hs) == 0 {
		return nil
	}
	buf.mu.Lock()
	changes := slices.Clone(buf.changes)
	buf.mu.Unlock()
	if len(changes) == 0 {
		return nil
	}
	for _, h := range hs {
		if err := h(ctx, tx, changes); err != nil {
			return fmt.Errorf("before commit: %w", err)
		}
	}
	return nil
}

func (s *DB) notify(changes []Change) {
	if len(changes) == 0 {
		return
	}
	for _, l := range s.listeners.all() {
		l(changes)
	}
}

// registry holds the callbacks registered with a DB.
type registry[T any] struct {
	mu   sync.Mutex
	next int
	fns  map[int]T
}

// add registers fn; the returned function removes it.
func (r *registry[T]) add(fn T) (remove func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	id := r.next
	if r.fns == nil {
		r.fns = map[int]T{}
	}
	r.fns[id] = fn
	return func() {
		r.mu.Lock()
		delete(r.fns, id)
		r.mu.Unlock()
	}
}

// all returns the registered callbacks, in no particular order.
func (r *registry[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, len(r.fns))
	for _, fn := range r.fns {
		out = append(out, fn)
	}
	return out
}
