package syncer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/store"
)

// RxdbRow is one document write of RxDB's push: the client's new state of
// a document and the server state it assumed (nil for a new document).
type RxdbRow struct {
	NewDocumentState   map[string]json.RawMessage
	AssumedMasterState map[string]json.RawMessage
}

// rxdbMeta are the fields of a document that are RxDB's, not the record's.
var rxdbMeta = []string{"_deleted", "_meta", "_rev", "_attachments"}

// rxdbCreateDropped are fields a client may hold in a document it made but
// that a create does not take: the server sets them.
var rxdbCreateDropped = map[string]map[string]string{
	store.Customers:     customerReadOnly,
	store.Interactions:  interactionReadOnlyCreate,
	store.Tasks:         taskReadOnlyAlways,
	store.Complaints:    complaintReadOnly,
	store.Notifications: notificationReadOnly,
}

// RxdbPush applies RxDB's push rows as mutations of the native push (the
// same rules: per-field merge, last writer by receive order for fields
// both sides changed, read-only collections and fields refused) and
// returns the server's copy of every document that conflicts:
//
//   - a row whose new state equals the stored document changes nothing and
//     is no conflict;
//   - otherwise the fields that differ from the assumed state (every field
//     of a new document) are pushed with the assumed state's version as the
//     base version; a delete is pushed as a delete;
//   - the stored document is returned when the push was merged with
//     changes the client had not seen, or conflicted, or was rejected (the
//     client's state is not the server's), and a tombstone when the record
//     is gone (deleted, or not in the caller's scope).
//
// The mutation ids derive from the rows, so a push that RxDB retries after
// a lost response applies nothing twice.
func (e *Engine) RxdbPush(ctx context.Context, coll string, schemaVersion int, rows []RxdbRow) ([]json.RawMessage, error) {
	if err := checkRxdb(coll, schemaVersion); err != nil {
		return nil, err
	}
	if len(rows) > MaxMutations {
		return nil, apperr.Invalid(fmt.Sprintf("a push holds at most %d documents", MaxMutations),
			apperr.FieldError{Field: "/", Code: "maxItems", Message: fmt.Sprintf("at most %d documents", MaxMutations)})
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		id, err := rxdbID(r.NewDocumentState)
		if err != nil {
			return nil, apperr.Invalid("a document has no valid id", apperr.FieldError{Field: fmt.Sprintf("/%d/newDocumentState/id", i), Code: "format", Message: "must be a UUID"})
		}
		ids[i] = id
	}
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	ss := e.newSession(s)
	current, err := e.rxdbCurrent(ss, coll, ids)
	if err != nil {
		return nil, err
	}
	var muts []Mutation
	var rowOf []int
	for i, r := range rows {
		cur := current[ids[i]]
		deleted := rxdbDeleted(r.NewDocumentState)
		assumed := r.AssumedMasterState
		if assumed != nil && rxdbDeleted(assumed) {
			assumed = nil
		}
		m := Mutation{Collection: coll, ID: ids[i], Op: OpUpsert}
		switch {
		case deleted && cur == nil:
			continue // already gone for the caller
		case deleted:
			m.Op = OpDelete
			m.BaseVersion = rxdbVersion(cur)
			if assumed != nil {
				m.BaseVersion = rxdbVersion(assumed)
			}
		case cur != nil && rxdbEqual(r.NewDocumentState, cur):
			continue
		case assumed == nil:
			m.Data = rxdbFields(r.NewDocumentState, nil, rxdbCreateDropped[coll])
		default:
			m.BaseVersion = rxdbVersion(assumed)
			m.Data = rxdbFields(r.NewDocumentState, assumed, nil)
			if len(m.Data) == 0 {
				// Only bookkeeping differs: the client lacks the server's state.
				muts = append(muts, Mutation{})
				rowOf = append(rowOf, -1-i)
				continue
			}
		}
		m.MutationID = rxdbMutationID(coll, m)
		muts = append(muts, m)
		rowOf = append(rowOf, i)
	}
	var send []Mutation
	for _, m := range muts {
		if m.MutationID != "" {
			send = append(send, m)
		}
	}
	var results []Result
	if len(send) > 0 {
		res, err := e.Push(ctx, PushRequest{Mutations: send})
		if err != nil {
			return nil, err
		}
		results = res.Results
	}
	out := []json.RawMessage{}
	k := 0
	for j, m := range muts {
		if m.MutationID == "" {
			i := -1 - rowOf[j]
			if cur := current[ids[i]]; cur != nil {
				out = append(out, rxdbRaw(cur))
			} else {
				out = append(out, rxdbTombstone(ids[i]))
			}
			continue
		}
		r := results[k]
		k++
		id := ids[rowOf[j]]
		switch r.Status {
		case StatusApplied:
		case StatusMerged, StatusConflict:
			if len(r.Record) > 0 {
				out = append(out, rxdbDocument(r.Record))
				continue
			}
			fallthrough
		case StatusRejected:
			if m.Op == OpUpsert && m.BaseVersion == 0 && current[id] == nil {
				// A document the server refused to create.
				out = append(out, rxdbTombstone(id))
				continue
			}
			now, err := e.rxdbCurrent(ss, coll, []uuid.UUID{id})
			if err != nil {
				return nil, err
			}
			if cur := now[id]; cur != nil {
				out = append(out, rxdbRaw(cur))
			} else {
				out = append(out, rxdbTombstone(id))
			}
		case StatusGone:
			out = append(out, rxdbTombstone(id))
		}
	}
	if err := ss.audit(ctx, "POST /v1/sync/rxdb/"+coll+"/push"); err != nil {
		return nil, err
	}
	return out, nil
}

// rxdbCurrent renders the records of ids that the caller may see, as
// documents (decoded, with "_deleted": false).
func (e *Engine) rxdbCurrent(ss *session, coll string, ids []uuid.UUID) (map[uuid.UUID]map[string]json.RawMessage, error) {
	ls, err := ss.loadByIDs(ss.s.vctx, coll, slices.Clone(ids))
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]map[string]json.RawMessage, len(ls))
	for id, l := range ls {
		data, err := ss.render(l)
		if err != nil {
			return nil, err
		}
		if data == nil {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rxdbDocument(data), &m); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", coll, id, err)
		}
		out[id] = m
	}
	return out, nil
}

func rxdbRaw(doc map[string]json.RawMessage) json.RawMessage {
	b, _ := json.Marshal(doc)
	return b
}

func rxdbID(doc map[string]json.RawMessage) (uuid.UUID, error) {
	var s string
	if err := json.Unmarshal(doc["id"], &s); err != nil {
		return uuid.Nil, err
	}
	return uuid.Parse(s)
}

func rxdbDeleted(doc map[string]json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(doc["_deleted"]), []byte("true"))
}

func rxdbVersion(doc map[string]json.RawMessage) int64 {
	var v int64
	_ = json.Unmarshal(doc["version"], &v)
	return v
}

// rxdbSkip says whether a field is bookkeeping: RxDB's or the server's.
func rxdbSkip(name string) bool {
	return strings.HasPrefix(name, "_") || slices.Contains(ignoredFields, name)
}

// rxdbFields returns the record fields of doc that differ from base (all
// of them when base is nil), less the dropped ones.
func rxdbFields(doc, base map[string]json.RawMessage, dropped map[string]string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range doc {
		if rxdbSkip(k) || dropped[k] != "" {
			continue
		}
		if base != nil && jsonEqual(v, base[k]) {
			continue
		}
		out[k] = v
	}
	if base != nil {
		// A field the client removed (RxDB drops undefined fields) is cleared.
		for k := range base {
			if _, ok := doc[k]; !ok && !rxdbSkip(k) && !jsonEqual(base[k], nil) {
				out[k] = json.RawMessage("null")
			}
		}
	}
	return out
}

// rxdbEqual reports whether a pushed document equals the stored one in
// every record field (RxDB's fields aside; an absent field equals null).
func rxdbEqual(doc, stored map[string]json.RawMessage) bool {
	for k, v := range doc {
		if !strings.HasPrefix(k, "_") && !jsonEqual(v, stored[k]) {
			return false
		}
	}
	for k, v := range stored {
		if _, ok := doc[k]; !ok && !strings.HasPrefix(k, "_") && !jsonEqual(v, nil) {
			return false
		}
	}
	return true
}

// jsonEqual compares two JSON values by meaning; nil reads as null.
func jsonEqual(a, b json.RawMessage) bool {
	var va, vb any
	if len(a) > 0 {
		if json.Unmarshal(a, &va) != nil {
			return false
		}
	}
	if len(b) > 0 {
		if json.Unmarshal(b, &vb) != nil {
			return false
		}
	}
	return reflect.DeepEqual(va, vb)
}

// rxdbMutationID derives a mutation id from what a row asks: a retried
// push of the same row replays the stored result.
func rxdbMutationID(coll string, m Mutation) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00", coll, m.ID, m.Op, m.BaseVersion)
	keys := make([]string, 0, len(m.Data))
	for k := range m.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var v any
		_ = json.Unmarshal(m.Data[k], &v)
		b, _ := json.Marshal(v)
		fmt.Fprintf(h, "%s=%s\x00", k, b)
	}
	return "rxdb:" + hex.EncodeToString(h.Sum(nil))
}
