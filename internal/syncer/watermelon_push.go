package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// WatermelonPushTable is one table of a WatermelonDB push: raw records
// (id, columns, and WatermelonDB's _status and _changed, which are
// ignored) and the ids of deleted records.
type WatermelonPushTable struct {
	Created []map[string]json.RawMessage
	Updated []map[string]json.RawMessage
	Deleted []string
}

// WatermelonPushRequest is a WatermelonDB push.
type WatermelonPushRequest struct {
	// LastPulledAt is the timestamp of the pull the changes were made after.
	LastPulledAt int64
	// DeviceID identifies the client's database; its pushed records are
	// never sent back to it as created.
	DeviceID uuid.UUID
	Changes  map[string]WatermelonPushTable
}

// WatermelonPushResult lists, by table, the ids of the records the
// server refused (experimentalRejectedIds); the rest was applied.
type WatermelonPushResult struct {
	Rejected map[string][]string
}

// wmOp is one record of a push, as a native mutation.
type wmOp struct {
	table string
	id    uuid.UUID
	kind  string // "created", "updated" or "deleted"
	raw   map[string]json.RawMessage
}

// wmIgnored are the columns a push never writes: WatermelonDB's
// bookkeeping and the server's.
var wmIgnored = []string{"id", "_status", "_changed", "version", "created_at", "updated_at"}

// errWMRetry rolls a push's transaction back to run it again without
// the records rejected so far.
var errWMRetry = errors.New("watermelon push: retry without rejected records")

// WatermelonPush applies a WatermelonDB push for the caller, all or
// nothing, in one transaction, with the native push's rules record by
// record (the native mutations, their field rules and access rules):
//
//   - created: a record that does not exist is created from its non-null
//     columns; one that exists is updated with the columns that differ
//     (WatermelonDB's rule: a create of an existing id updates);
//   - updated: the columns that differ from the server's record are
//     applied on the version the raw record carries (its version
//     column). A record the server changed since (a higher version) makes
//     the whole push fail with apperr.Conflict (409): the client pulls,
//     which merges per column on its side (its changed columns win: the
//     last writer by server receive order, as in the native push), and
//     pushes again. A record deleted or out of scope is skipped (the
//     next pull deletes it on the client);
//   - deleted: applied on the current version; a missing id is ignored.
//
// Records the native push rejects (read-only collections and fields,
// invalid values, access rules) are left out and listed in the result;
// the transaction runs again without them, so that nothing of a rejected
// record stays. Each applied record is stored as a native mutation under
// the device id.
func (e *Engine) WatermelonPush(ctx context.Context, req WatermelonPushRequest) (*WatermelonPushResult, error) {
	ops, err := wmOps(req.Changes)
	if err != nil {
		return nil, err
	}
	if req.LastPulledAt < 0 {
		return nil, apperr.Invalid("last_pulled_at must not be negative",
			apperr.FieldError{Field: "last_pulled_at", Code: "minimum", Message: "must be 0 or more"})
	}
	if top, err := e.maxSeq(ctx); err != nil {
		return nil, err
	} else if req.LastPulledAt > top {
		return nil, gone("last_pulled_at is ahead of the server's change log (the database was restored): reset the database and sync from the start")
	}
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.quality.Calendar().Refresh(auth.SystemContext(ctx)); err != nil {
		return nil, fmt.Errorf("refresh the working-day calendar: %w", err)
	}
	res := &WatermelonPushResult{Rejected: map[string][]string{}}
	rejected := map[changeKey]bool{}
	for _, op := range ops {
		if _, ro := readOnlyCollections[op.table]; ro {
			rejected[changeKey{op.table, op.id}] = true
		}
	}
	applied := 0
	var ss *session
	for attempt := 0; attempt <= len(ops); attempt++ {
		ss = e.newSession(s)
		applied = 0
		err = e.db.WithTx(s.vctx, func(ctx context.Context, tx *ent.Tx) error {
			for _, op := range ops {
				k := changeKey{op.table, op.id}
				if rejected[k] {
					continue
				}
				did, err := e.wmApply(ctx, tx, ss, req, op)
				if err != nil {
					var stale *wmStale
					if errors.As(err, &stale) {
						return apperr.Conflict(stale.detail)
					}
					if _, ok := clientError(err); ok {
						rejected[k] = true
						return errWMRetry
					}
					return err
				}
				if did == StatusRejected {
					rejected[k] = true
					return errWMRetry
				}
				if did != "" {
					applied++
				}
			}
			return nil
		})
		if !errors.Is(err, errWMRetry) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if rejected[changeKey{op.table, op.id}] {
			res.Rejected[op.table] = append(res.Rejected[op.table], op.id.String())
		}
	}
	if err := ss.audit(ctx, "POST /v1/sync/watermelon"); err != nil {
		return nil, err
	}
	if applied > 0 {
		e.hub.notify()
	}
	return res, nil
}

// wmOps validates a push's changes and orders them: creates and updates
// table by table (customers first, so that their records can refer to
// them), then deletes in the reverse order.
func wmOps(changes map[string]WatermelonPushTable) ([]wmOp, error) {
	bad := func(field, msg string) error {
		return apperr.Invalid("the changes are invalid: "+msg, apperr.FieldError{Field: field, Code: "invalid", Message: msg})
	}
	order := append([]string{store.Customers}, store.Tasks, store.Interactions, store.Complaints, store.Notifications,
		store.Portraits, store.Policies, store.ServicePlans, store.ToolkitItems)
	for t := range changes {
		if !slices.Contains(order, t) {
			return nil, bad("/changes/"+t, fmt.Sprintf("%q is not a synced table", t))
		}
	}
	var ops, dels []wmOp
	seen := map[changeKey]bool{}
	count := 0
	for _, t := range order {
		tc, ok := changes[t]
		if !ok {
			continue
		}
		for kind, list := range map[string][]map[string]json.RawMessage{"created": tc.Created, "updated": tc.Updated} {
			for i, raw := range list {
				ptr := fmt.Sprintf("/changes/%s/%s/%d", t, kind, i)
				var s string
				if err := json.Unmarshal(raw["id"], &s); err != nil {
					return nil, bad(ptr+"/id", "must be a string")
				}
				id, err := uuid.Parse(s)
				if err != nil {
					return nil, bad(ptr+"/id", "must be a UUID")
				}
				if seen[changeKey{t, id}] {
					return nil, bad(ptr+"/id", "a record appears twice")
				}
				seen[changeKey{t, id}] = true
				ops = append(ops, wmOp{table: t, id: id, kind: kind, raw: raw})
			}
			count += len(list)
		}
		for i, s := range tc.Deleted {
			id, err := uuid.Parse(s)
			if err != nil {
				return nil, bad(fmt.Sprintf("/changes/%s/deleted/%d", t, i), "must be a UUID")
			}
			if seen[changeKey{t, id}] {
				return nil, bad(fmt.Sprintf("/changes/%s/deleted/%d", t, i), "a record appears twice")
			}
			seen[changeKey{t, id}] = true
			dels = append(dels, wmOp{table: t, id: id, kind: "deleted"})
		}
		count += len(tc.Deleted)
	}
	if count > MaxMutations {
		return nil, bad("/changes", fmt.Sprintf("a push holds at most %d records", MaxMutations))
	}
	// Stable order within a table for created and updated (map iteration
	// above is random): by kind, then as sent.
	slices.SortStableFunc(ops, func(a, b wmOp) int {
		ia, ib := slices.Index(order, a.table), slices.Index(order, b.table)
		if ia != ib {
			return ia - ib
		}
		switch {
		case a.kind == b.kind:
			return 0
		case a.kind == "created":
			return -1
		}
		return 1
	})
	slices.Reverse(dels)
	return append(ops, dels...), nil
}

// wmApply applies one record of a push in the push's transaction and
// returns the native status ("" when nothing needed to change).
func (e *Engine) wmApply(ctx context.Context, tx *ent.Tx, ss *session, req WatermelonPushRequest, op wmOp) (string, error) {
	cur, err := e.wmCurrent(ctx, tx, ss, op.table, op.id)
	if err != nil {
		return "", err
	}
	m := Mutation{MutationID: "watermelon:" + uuid.Must(uuid.NewV7()).String(), Collection: op.table, Op: OpUpsert, ID: op.id}
	switch {
	case op.kind == "deleted":
		if cur == nil {
			return "", nil
		}
		m.Op, m.BaseVersion = OpDelete, cur.version
	case cur == nil && op.kind == "updated":
		return "", nil
	case cur == nil:
		data, err := wmData(op.table, op.raw, nil)
		if err != nil {
			return "", err
		}
		m.Data = data
	default:
		base := cur.version
		if op.kind == "updated" {
			if v, ok := op.raw["version"]; ok && !isNull(v) {
				if err := json.Unmarshal(v, &base); err != nil {
					return "", apperr.Invalid("version must be an integer", apperr.FieldError{Field: "/changes/" + op.table + "/updated/version", Code: "type", Message: "must be an integer"})
				}
			}
		}
		if base < cur.version {
			return "", staleRecord(op)
		}
		data, err := wmData(op.table, op.raw, cur.fields)
		if err != nil {
			return "", err
		}
		if len(data) == 0 {
			return "", nil
		}
		m.Data, m.BaseVersion = data, base
	}
	r, err := e.mutate(&mctx{ctx: ctx, tx: tx, ss: ss, m: m, now: ss.now, base: m.BaseVersion})
	if err != nil {
		return "", err
	}
	switch r.Status {
	case StatusRejected:
		return StatusRejected, nil
	case StatusGone:
		if op.kind == "created" {
			return StatusRejected, nil
		}
		return "", nil
	case StatusMerged, StatusConflict:
		if m.Op == OpUpsert && m.BaseVersion == 0 {
			return StatusRejected, nil
		}
		return "", staleRecord(op)
	}
	r.MutationID = m.MutationID
	b, err := e.encodeResult(op.table, r)
	if err != nil {
		return "", err
	}
	err = tx.SyncMutation.Create().SetAgentID(ss.s.agent.ID).SetMutationID(m.MutationID).SetDeviceID(req.DeviceID.String()).
		SetCollection(op.table).SetRecordID(op.id).SetResult(b).SetCreatedAt(ss.now).SetUpdatedAt(ss.now).
		Exec(auth.SystemContext(ctx))
	if err != nil {
		return "", fmt.Errorf("store mutation: %w", err)
	}
	return r.Status, nil
}

// wmStale fails a push whose record changed on the server since the
// client's last pull.
type wmStale struct{ detail string }

func (s *wmStale) Error() string { return s.detail }

func staleRecord(op wmOp) error {
	return &wmStale{detail: fmt.Sprintf("%s/%s changed on the server since the last pull: pull, then push again", op.table, op.id)}
}

// wmRecord is a server record as a raw record's columns.
type wmRecord struct {
	version int64
	fields  map[string]json.RawMessage
}

// wmCurrent reads a record as the caller sees it in the transaction;
// nil when it does not exist or is out of the caller's scope.
func (e *Engine) wmCurrent(ctx context.Context, tx *ent.Tx, ss *session, table string, id uuid.UUID) (*wmRecord, error) {
	src, ok := sources[table]
	if !ok {
		return nil, nil
	}
	recs, err := src.byIDs(ctx, tx.Client(), []uuid.UUID{id})
	if err != nil {
		return nil, fmt.Errorf("load %s/%s: %w", table, id, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	ls, err := ss.load(ctx, table, recs)
	if err != nil {
		return nil, err
	}
	data, err := ss.render(ls[0])
	if err != nil || data == nil {
		return nil, err
	}
	_, v, _ := recordMeta(recs[0])
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("decode %s/%s: %w", table, id, err)
	}
	return &wmRecord{version: v, fields: fields}, nil
}

// wmData turns a raw record into a native mutation's data: for a create
// (cur nil) every non-null column, for an update the columns whose value
// differs from the server's record; JSON-text columns are decoded.
// Bookkeeping columns, and columns the collection does not have (local
// ones), are left out.
func wmData(table string, raw, cur map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for col, v := range raw {
		if slices.Contains(wmIgnored, col) || !slices.Contains(WatermelonColumns[table], col) {
			continue
		}
		if slices.Contains(WatermelonJSONColumns[table], col) && !isNull(v) {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, apperr.Invalid(col+" must be JSON text", apperr.FieldError{Field: "/" + col, Code: "type", Message: "must be a string of JSON"})
			}
			if s == "" {
				v = json.RawMessage("null")
			} else {
				if !json.Valid([]byte(s)) {
					return nil, apperr.Invalid(col+" must be JSON text", apperr.FieldError{Field: "/" + col, Code: "type", Message: "must be a string of JSON"})
				}
				v = json.RawMessage(s)
			}
		}
		if cur == nil {
			if !isNull(v) {
				out[col] = v
			}
			continue
		}
		if !sameJSON(v, cur[col]) {
			out[col] = v
		}
	}
	return out, nil
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// sameJSON compares two JSON values; WatermelonDB's empty string of an
// unset text column equals null.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if isNull(a) {
		a = json.RawMessage("null")
	}
	if isNull(b) {
		b = json.RawMessage("null")
	}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	if x == nil && y == "" || x == "" && y == nil {
		return true
	}
	return reflect.DeepEqual(x, y)
}
