package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// The statuses of a pushed mutation.
const (
	StatusApplied  = "applied"
	StatusMerged   = "merged"
	StatusConflict = "conflict"
	StatusRejected = "rejected"
	StatusGone     = "gone"
)

// MaxMutations bounds a push (openapi.yaml's SyncPushRequest).
const MaxMutations = 1000

// PushRequest is a batch of offline mutations from one device.
type PushRequest struct {
	DeviceID  uuid.UUID
	Mutations []Mutation
}

// Mutation is one offline change.
type Mutation struct {
	// MutationID is unique per agent: a replay returns the stored result.
	MutationID string
	Collection string
	Op         string // OpUpsert or OpDelete
	ID         uuid.UUID
	// BaseVersion is the version the change was made on; 0 creates.
	BaseVersion int64
	// Data holds the fields that changed (all of them for a create), as
	// named in the collection's REST schema.
	Data map[string]json.RawMessage
}

// Result is the outcome of one mutation.
//
//   - applied: the change applied as sent (Version is the record's new
//     version; a create also returns the record).
//   - merged: the record had changed on the server since BaseVersion in
//     other fields; both changes are kept and Record is the record after
//     the mutation.
//   - conflict: some fields changed on both sides. For the fields agents
//     own the rule is the last writer by server receive order: the pushed
//     values are applied, Conflicts names the fields whose concurrent
//     server value was overwritten, and Record is the record after the
//     mutation. A create whose id exists with other values changes nothing
//     and Record is the server's record.
//   - rejected: invalid, forbidden or read-only; Err says why.
//   - gone: the record was deleted or is not (or no longer) in the
//     caller's scope.
//
// Version lets the client skip, in its next pull, upserts of versions it
// already holds.
type Result struct {
	MutationID string          `json:"mutation_id"`
	Status     string          `json:"status"`
	Version    *int64          `json:"version,omitempty"`
	Record     json.RawMessage `json:"record,omitempty"`
	Conflicts  []string        `json:"conflicts,omitempty"`
	Err        *apperr.Error   `json:"-"`
}

// PushResponse holds the results, in the order of the mutations.
type PushResponse struct {
	Results []Result
}

// pushChunk bounds the mutations that one transaction of a push applies:
// the transaction holds its row locks (on SQLite the write lock) until it
// commits.
const pushChunk = 100

// Push applies the mutations in order, up to pushChunk of them in one
// transaction, each in a savepoint of its own that also stores its result
// under (agent, mutation id): a mutation sent again returns that result
// and changes nothing, also when two copies race (the unique key
// decides). One bad mutation never fails the batch: a rejected one rolls
// back to its savepoint and only its result is stored. When a chunk's
// transaction meets a deadlock, a serialization failure or a lock
// timeout, it is rolled back whole and its mutations are applied again
// one transaction each. An error is returned only for a server fault,
// which rolls back the mutations of its chunk; a retry replays the
// chunks committed before.
func (e *Engine) Push(ctx context.Context, req PushRequest) (*PushResponse, error) {
	if len(req.Mutations) > MaxMutations {
		return nil, apperr.Invalid(fmt.Sprintf("a push holds at most %d mutations", MaxMutations),
			apperr.FieldError{Field: "/mutations", Code: "maxItems", Message: fmt.Sprintf("at most %d mutations", MaxMutations)})
	}
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.quality.Calendar().Refresh(auth.SystemContext(ctx)); err != nil {
		return nil, fmt.Errorf("refresh the working-day calendar: %w", err)
	}
	ss := e.newSession(s)
	ss.native = true
	out := &PushResponse{Results: make([]Result, len(req.Mutations))}
	own := map[changeKey][]int64{}
	for start := 0; start < len(req.Mutations); start += pushChunk {
		end := min(start+pushChunk, len(req.Mutations))
		if err := e.pushBatch(ss, req.DeviceID, req.Mutations[start:end], out.Results[start:end], own, start); err != nil {
			return nil, err
		}
	}
	if err := ss.audit(ctx, "POST /v1/sync/push"); err != nil {
		return nil, err
	}
	if len(out.Results) > 0 {
		e.hub.notify()
	}
	return out, nil
}

// clientError says whether err is the client's doing: an apperr of a
// client kind, or a denial of the access rules.
func clientError(err error) (*apperr.Error, bool) {
	if ae, ok := apperr.As(err); ok && ae.Kind != apperr.KindInternal && ae.Kind != apperr.KindUnavailable {
		return ae, true
	}
	if errors.Is(err, privacy.Deny) {
		return apperr.Forbidden("the change is not allowed to the caller"), true
	}
	if ent.IsConstraintError(err) {
		return apperr.Conflict("the change clashes with another record"), true
	}
	return nil, false
}

// storedResult is a result as stored with its mutation.
type storedResult struct {
	Status    string              `json:"status"`
	Version   *int64              `json:"version,omitempty"`
	Record    json.RawMessage     `json:"record,omitempty"`
	Conflicts []string            `json:"conflicts,omitempty"`
	ErrKind   apperr.Kind         `json:"error_kind,omitempty"`
	ErrCode   string              `json:"error_code,omitempty"`
	ErrDetail string              `json:"error_detail,omitempty"`
	ErrFields []apperr.FieldError `json:"error_fields,omitempty"`
}

// resultField is the associated data of encrypted results: results of
// customers carry personal data, which is never stored in plaintext.
const resultField = "sync_result"

func (e *Engine) encodeResult(coll string, r Result) ([]byte, error) {
	sr := storedResult{Status: r.Status, Version: r.Version, Record: r.Record, Conflicts: r.Conflicts}
	if r.Err != nil {
		sr.ErrKind, sr.ErrCode, sr.ErrDetail, sr.ErrFields = r.Err.Kind, r.Err.Code, r.Err.Detail, r.Err.Fields
	}
	b, err := json.Marshal(sr)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	if coll != store.Customers || len(r.Record) == 0 {
		return append([]byte("p:"), b...), nil
	}
	enc, err := e.pii.Encrypt(resultField, string(b))
	if err != nil {
		return nil, fmt.Errorf("encrypt result: %w", err)
	}
	return append([]byte("e:"), enc...), nil
}

// stored returns the stored result of a mutation, if there is one,
// reading through c.
func (e *Engine) stored(ctx context.Context, c *ent.Client, agentID uuid.UUID, mutationID string) (Result, bool, error) {
	row, err := c.SyncMutation.Query().
		Where(syncmutation.AgentID(agentID), syncmutation.MutationID(mutationID)).Only(auth.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("read stored mutation: %w", err)
	}
	b := string(row.Result)
	switch {
	case strings.HasPrefix(b, "e:"):
		if b, err = e.pii.Decrypt(resultField, b[2:]); err != nil {
			return Result{}, false, fmt.Errorf("decrypt stored result: %w", err)
		}
	case strings.HasPrefix(b, "p:"):
		b = b[2:]
	default:
		return Result{}, false, fmt.Errorf("stored mutation %q has no result", mutationID)
	}
	var sr storedResult
	if err := json.Unmarshal([]byte(b), &sr); err != nil {
		return Result{}, false, fmt.Errorf("decode stored result: %w", err)
	}
	r := Result{MutationID: mutationID, Status: sr.Status, Version: sr.Version, Record: sr.Record, Conflicts: sr.Conflicts}
	if sr.ErrKind != apperr.KindInternal || sr.ErrDetail != "" {
		r.Err = &apperr.Error{Kind: sr.ErrKind, Code: sr.ErrCode, Detail: sr.ErrDetail, Fields: sr.ErrFields}
	}
	return r, true, nil
}

// mctx is one mutation in its transaction.
type mctx struct {
	ctx context.Context // the transaction's context, with the caller
	tx  *ent.Tx
	ss  *session
	m   Mutation
	now time.Time
	// own holds the versions that earlier mutations of the push made of
	// the record; base is the mutation's base counting them.
	own  []int64
	base int64
}

func (c *mctx) me() uuid.UUID { return c.ss.s.agent.ID }

// readOnlyCollections are the collections agents never write.
var readOnlyCollections = map[string]string{
	store.Portraits:    "portraits are derived by the server and read-only",
	store.Policies:     "policies belong to the insurer's policy system and are read-only to agents",
	store.ServicePlans: "service plans are generated by the plan rules and read-only",
	store.ToolkitItems: "the toolkit is authored by admins and read-only to agents",
}

// mutate applies one mutation in its transaction.
func (e *Engine) mutate(c *mctx) (Result, error) {
	m := c.m
	if reason, ok := readOnlyCollections[m.Collection]; ok {
		return rejected(apperr.Forbidden(reason)), nil
	}
	if m.Op != OpUpsert && m.Op != OpDelete {
		return rejected(apperr.Invalid("op must be upsert or delete", apperr.FieldError{Field: "/op", Code: "enum", Message: "must be upsert or delete"})), nil
	}
	if m.BaseVersion < 0 {
		return rejected(apperr.Invalid("base_version must not be negative", apperr.FieldError{Field: "/base_version", Code: "minimum", Message: "must be 0 or more"})), nil
	}
	if m.Op == OpUpsert && c.creates() {
		if dead, err := e.tombstoned(c, m.ID); err != nil || dead {
			return Result{Status: StatusGone}, err
		}
	}
	switch m.Collection {
	case store.Customers:
		return e.mutateCustomer(c)
	case store.Tasks:
		return e.mutateTask(c)
	case store.Interactions:
		return e.mutateInteraction(c)
	case store.Complaints:
		return e.mutateComplaint(c)
	case store.Notifications:
		return e.mutateNotification(c)
	}
	return rejected(apperr.Invalid("unknown collection", apperr.FieldError{Field: "/collection", Code: "enum", Message: "is not a synced collection"})), nil
}

// tombstoned reports whether a record with this id was deleted: its id is
// not reused, so a create of it is gone.
func (e *Engine) tombstoned(c *mctx, id uuid.UUID) (bool, error) {
	n, err := c.tx.ChangeLog.Query().Where(changelog.RecordID(id), changelog.OpEQ(changelog.OpDelete)).Exist(auth.SystemContext(c.ctx))
	if err != nil {
		return false, fmt.Errorf("look for a tombstone: %w", err)
	}
	return n, nil
}

func rejected(err *apperr.Error) Result { return Result{Status: StatusRejected, Err: err} }

func version(v int64) *int64 { return &v }

// outcome is the status of an update: applied when made on the current
// version, otherwise merged, or conflict when a field changed on both sides.
func outcome(base, current int64, conflicts []string) string {
	switch {
	case base == current:
		return StatusApplied
	case len(conflicts) > 0:
		return StatusConflict
	}
	return StatusMerged
}

// bothSides returns the fields (API names) of changed that changed on the
// server after the mutation's base, by others than the earlier mutations
// of the same push: cols maps each API field to the columns whose
// versions the store keeps in field_versions.
func (c *mctx) bothSides(fv map[string]int64, changed []string, cols map[string][]string) []string {
	var out []string
	for _, f := range changed {
		names := cols[f]
		if names == nil {
			names = []string{f}
		}
		for _, col := range names {
			if v := fv[col]; v > c.base && !slices.Contains(c.own, v) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// ownBase is the base of a mutation counting the versions that earlier
// mutations of the same push made of its record: a client that edits a
// record twice offline sends both edits on the version it pulled, and
// its first edit is no concurrent change to the second.
func ownBase(base int64, own []int64) int64 {
	sorted := slices.Clone(own)
	slices.Sort(sorted)
	for _, v := range sorted {
		if v == base+1 {
			base = v
		}
	}
	return base
}

// pg says whether reads of the record to change take its row lock: on
// PostgreSQL a concurrent writer then waits, so the merge sees the latest
// values; SQLite's write transaction holds the whole database already.
func (c *mctx) pg() bool { return c.ss.e.db.Dialect == dialect.Postgres }

// render renders a record for a result.
func (c *mctx) render(coll string, rec any) (json.RawMessage, error) {
	ls, err := c.ss.load(c.ctx, coll, []any{rec})
	if err != nil {
		return nil, err
	}
	return c.ss.render(ls[0])
}

// existingCreate answers a create whose id exists in the caller's scope:
// with the same values it is a replay (applied); with others it changes
// nothing and reports the server's record and the differing fields.
func (c *mctx) existingCreate(coll string, rec any, v int64, changed []string) (Result, error) {
	data, err := c.render(coll, rec)
	if err != nil {
		return Result{}, err
	}
	r := Result{Status: StatusApplied, Version: version(v), Record: data}
	if len(changed) > 0 {
		r.Status, r.Conflicts = StatusConflict, changed
	}
	return r, nil
}

// created answers a create.
func (c *mctx) created(coll string, rec any, v int64) (Result, error) {
	data, err := c.render(coll, rec)
	if err != nil {
		return Result{}, err
	}
	return Result{Status: StatusApplied, Version: version(v), Record: data}, nil
}

// updated answers an update of a record that was at version before:
// applied returns no record (the client has it), merged and conflict the
// record after the mutation.
func (c *mctx) updated(coll string, after any, v, before int64, conflicts []string) (Result, error) {
	r := Result{Status: outcome(c.base, before, conflicts), Version: version(v), Conflicts: conflicts}
	if r.Status == StatusApplied {
		return r, nil
	}
	data, err := c.render(coll, after)
	if err != nil {
		return Result{}, err
	}
	r.Record = data
	return r, nil
}

// aheadOfServer rejects a base version the server never issued.
func aheadOfServer(current int64) *apperr.Error {
	msg := fmt.Sprintf("the record is at version %d; base_version cannot be higher", current)
	return apperr.Invalid(msg, apperr.FieldError{Field: "/base_version", Code: "out_of_range", Message: msg})
}

// noData rejects data on a delete.
func noData() *apperr.Error {
	return apperr.Invalid("a delete carries no data", apperr.FieldError{Field: "/data", Code: "not_allowed", Message: "must be absent for a delete"})
}

// cannot rejects an operation a collection does not take from clients.
func cannot(reason string) Result { return rejected(apperr.Forbidden(reason)) }

// creates says whether the mutation makes its record: base version 0,
// unless an earlier mutation of the same push made it (a record created
// and then edited offline, both sent on version 0).
func (c *mctx) creates() bool { return c.m.BaseVersion == 0 && len(c.own) == 0 }
