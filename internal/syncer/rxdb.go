package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/store"
)

// The RxDB adapter serves the change log in the layout of RxDB's HTTP
// replication (replicateRxCollection with pull and push handlers): one
// collection at a time, documents ordered by a checkpoint {id, lwt}.
//
// A document's lwt is the sequence number of the log entry at which the
// caller's copy of it last had to change: the record's latest entry, or
// the entry of the scope event that brought its customer into (or out of)
// the caller's book, whichever a pull meets. A pull from (lwt, id) walks
// the log from lwt in sequence order, as the native incremental pull does,
// and turns each entry into the documents of the collection it concerns,
// in id order:
//
//   - an entry of a record of the collection that is the record's latest:
//     the record as the caller may see it now, or a tombstone when it was
//     deleted (a record whose customer is not in the book now is skipped:
//     the event that took the customer away sends its tombstone);
//   - a customer moved into the book from an owner whose customers the
//     caller did not hold: every current record of the collection under
//     the customer, although those records did not change (a backfill);
//   - a customer moved out of the book, or deleted, that the caller held:
//     a tombstone of every record of the collection the log knows under
//     it;
//   - for a team lead, an agent joining or leaving the team: the backfill
//     or the tombstones of the agent's customers.
//
// Decisions use the current state, as in the native protocol, so a record
// may come more than once (at a scope event and at its own later entry);
// the last copy a client receives is the current one. Tombstones are
// documents {"id": …, "_deleted": true}.

// RxdbSchemaVersion is the RxDB schema version of the collections that
// this server serves (the {schema_version} of the adapter's paths): the
// documents are the REST schemas of openapi.yaml at SchemaVersion.
const RxdbSchemaVersion = 0

// DefaultRxdbLimit is the batch size of an RxDB pull without a limit
// (RxDB's own default pull batch size).
const DefaultRxdbLimit = 100

// RxdbCheckpoint is RxDB's replication checkpoint: the last document of a
// batch, by its position in the change log (LWT) and its id.
type RxdbCheckpoint struct {
	ID  string `json:"id"`
	LWT int64  `json:"lwt"`
}

// RxdbPullRequest is one pull of RxDB's replication.
type RxdbPullRequest struct {
	Collection    string
	SchemaVersion int
	// Checkpoint is the previous batch's; nil on a first pull.
	Checkpoint *RxdbCheckpoint
	// Limit is the batch size; DefaultRxdbLimit when 0.
	Limit int
}

// RxdbPage is a batch of documents: exactly Limit documents while more
// remain, fewer only at the end.
type RxdbPage struct {
	// Documents are JSON objects: the record as its REST schema renders it
	// plus "_deleted": false, or a tombstone {"id", "_deleted": true}.
	Documents []json.RawMessage
	// Checkpoint is the position of the last document; the request's when
	// there are none (nil on a first pull that found nothing).
	Checkpoint *RxdbCheckpoint
}

// AppendJSON appends the page as openapi.yaml's RxdbPullResponse.
func (p *RxdbPage) AppendJSON(b []byte) []byte {
	b = append(b, `{"documents":[`...)
	for i, d := range p.Documents {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	b = append(b, `],"checkpoint":`...)
	b = appendCheckpoint(b, p.Checkpoint)
	return append(b, '}')
}

func appendCheckpoint(b []byte, c *RxdbCheckpoint) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendQuote(b, c.ID)
	b = append(b, `,"lwt":`...)
	b = strconv.AppendInt(b, c.LWT, 10)
	return append(b, '}')
}

// rxdoc is a document with its position.
type rxdoc struct {
	lwt  int64
	id   uuid.UUID
	data json.RawMessage
}

// rxdbDocument adds "_deleted": false to a rendered record.
func rxdbDocument(data []byte) json.RawMessage {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[len(data)-1] != '}' {
		return nil
	}
	out := make([]byte, 0, len(data)+20)
	out = append(out, data[:len(data)-1]...)
	if len(bytes.TrimSpace(data[1:len(data)-1])) > 0 {
		out = append(out, ',')
	}
	return append(out, `"_deleted":false}`...)
}

// rxdbTombstone is the document of a deleted or out-of-scope record.
func rxdbTombstone(id uuid.UUID) json.RawMessage {
	return json.RawMessage(`{"id":"` + id.String() + `","_deleted":true}`)
}

// checkRxdb checks the collection and the schema version of a request.
func checkRxdb(coll string, schemaVersion int) error {
	if _, ok := sources[coll]; !ok {
		return apperr.NotFound("no synced collection " + strconv.Quote(coll))
	}
	if schemaVersion != RxdbSchemaVersion {
		return apperr.UpgradeRequired(fmt.Sprintf("RxDB schema version %d of %s is not served; this server serves version %d",
			schemaVersion, coll, RxdbSchemaVersion))
	}
	return nil
}

// RxdbPull returns the documents of one collection after the checkpoint,
// in (lwt, id) order, for the caller (the viewer on ctx).
//
// A checkpoint that this server cannot continue (older than the tombstone
// retention, or ahead of the log after a restore) is apperr.Gone with code "sync-reset-required":
// the client must drop its local collection and replicate from scratch.
func (e *Engine) RxdbPull(ctx context.Context, req RxdbPullRequest) (*RxdbPage, error) {
	if err := checkRxdb(req.Collection, req.SchemaVersion); err != nil {
		return nil, err
	}
	limit := req.Limit
	switch {
	case limit == 0:
		limit = DefaultRxdbLimit
	case limit < 0 || limit > MaxLimit:
		return nil, apperr.Invalid("limit is out of range", apperr.FieldError{Field: "limit", Code: "out_of_range",
			Message: fmt.Sprintf("must be between 1 and %d", MaxLimit)})
	}
	from, after := int64(1), uuid.Nil
	if c := req.Checkpoint; c != nil {
		if c.LWT < 0 {
			return nil, apperr.Invalid("lwt must not be negative", apperr.FieldError{Field: "lwt", Code: "minimum", Message: "must be 0 or more"})
		}
		from = c.LWT
		if c.ID != "" {
			id, err := uuid.Parse(c.ID)
			if err != nil {
				return nil, apperr.Invalid("the checkpoint's id is not a record id", apperr.FieldError{Field: "id", Code: "format", Message: "must be a UUID"})
			}
			after = id
		}
	}
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	m, err := e.meta(ctx)
	if err != nil {
		return nil, err
	}
	if req.Checkpoint != nil && req.Checkpoint.LWT > 0 {
		top, err := e.maxSeq(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case from < m.floor:
			return nil, gone("the checkpoint is older than the tombstone retention: replicate from scratch")
		case from > top:
			return nil, gone("the checkpoint is ahead of the server's change log (the database was restored): replicate from scratch")
		}
		s.base = from - 1
	}
	ss := e.newSession(s)
	docs, err := e.rxdbScan(ctx, ss, req.Collection, from, after, limit, m.floor)
	if err != nil {
		return nil, err
	}
	if err := ss.audit(ctx, "GET /v1/sync/rxdb/"+req.Collection+"/pull"); err != nil {
		return nil, err
	}
	p := &RxdbPage{Documents: make([]json.RawMessage, len(docs)), Checkpoint: req.Checkpoint}
	for i, d := range docs {
		p.Documents[i] = d.data
	}
	if n := len(docs); n > 0 {
		p.Checkpoint = &RxdbCheckpoint{ID: docs[n-1].id.String(), LWT: docs[n-1].lwt}
	}
	return p, nil
}

// rxdbScan walks the log from entry from on (at entry from, only documents
// with an id above after) and returns up to limit documents of coll.
//
// Below the retention floor the log has lost its expired tombstones, so a
// checkpoint there is refused; the records whose latest entry is at or
// below the floor are therefore sent at lwt floor (in id order), before
// the entries above it: a replication from scratch never holds a
// checkpoint below the floor.
func (e *Engine) rxdbScan(ctx context.Context, ss *session, coll string, from int64, after uuid.UUID, limit int, floor int64) ([]rxdoc, error) {
	s := ss.s
	var docs []rxdoc
	if floor > 0 && from <= floor {
		if from < floor {
			after = uuid.Nil
		}
		base, err := e.rxdbBase(ss, coll, floor, after, limit)
		if err != nil || len(base) >= limit {
			return base, err
		}
		docs = base
		from, after = floor+1, uuid.Nil
	}
	pos := from - 1
	for len(docs) < limit {
		entries, err := e.db.Client.ChangeLog.Query().
			Where(changelog.IDGT(pos), e.logFilter(s), rxdbFilter(coll)).
			Order(ent.Asc(changelog.FieldID)).Limit(logChunk).All(s.sys)
		if err != nil {
			return nil, fmt.Errorf("read the change log: %w", err)
		}
		if len(entries) == 0 {
			break
		}
		ch, latest, err := e.rxdbPrepare(ctx, ss, coll, entries)
		if err != nil {
			return nil, err
		}
		for _, en := range entries {
			aft := uuid.Nil
			if en.ID == from {
				aft = after
			}
			got, err := e.rxdbEntry(ss, ch, latest, coll, en, aft, limit-len(docs))
			if err != nil {
				return nil, err
			}
			docs = append(docs, got...)
			if len(docs) >= limit {
				return docs, nil
			}
			pos = en.ID
		}
		if len(entries) < logChunk {
			break
		}
	}
	return docs, nil
}

// rxdbFilter narrows the log to the entries that can make documents of
// coll: its own entries and, for a customer's records, the moves and
// deletions of customers and the team moves of agents.
func rxdbFilter(coll string) predicate.ChangeLog {
	if !unitCollections[coll] {
		return changelog.CollectionEQ(coll)
	}
	return func(sel *entsql.Selector) {
		sel.Where(entsql.Or(
			entsql.EQ(sel.C(changelog.FieldCollection), coll),
			entsql.EQ(sel.C(changelog.FieldCollection), store.Agents),
			entsql.And(entsql.EQ(sel.C(changelog.FieldCollection), store.Customers),
				entsql.Or(entsql.NotNull(sel.C(changelog.FieldPrevAgentID)), entsql.EQ(sel.C(changelog.FieldOp), changelog.OpDelete.String()))),
		))
	}
}

// rxdbPrepare loads what a chunk of entries needs: which customers are in
// the book now, the latest entry of each record of coll, and the current
// records to send.
func (e *Engine) rxdbPrepare(ctx context.Context, ss *session, coll string, entries []*ent.ChangeLog) (*chunk, map[uuid.UUID]int64, error) {
	s := ss.s
	ch := &chunk{records: map[string]map[uuid.UUID]*loaded{}}
	var custIDs, recIDs []uuid.UUID
	for _, en := range entries {
		if unitCollections[en.Collection] && en.CustomerID != nil {
			custIDs = append(custIDs, *en.CustomerID)
		}
		if en.Collection == coll {
			recIDs = append(recIDs, en.RecordID)
		}
	}
	in, err := e.inBook(s, custIDs)
	if err != nil {
		return nil, nil, err
	}
	ch.inBook = in
	latest := map[uuid.UUID]int64{}
	if len(recIDs) > 0 {
		var rows []struct {
			RecordID uuid.UUID `json:"record_id"`
			Max      int64     `json:"max"`
		}
		err := e.db.Client.ChangeLog.Query().Where(changelog.RecordIDIn(recIDs...), changelog.CollectionEQ(coll)).
			GroupBy(changelog.FieldRecordID).Aggregate(ent.Max(changelog.FieldID)).Scan(s.sys, &rows)
		if err != nil {
			return nil, nil, fmt.Errorf("read the latest entries of records: %w", err)
		}
		for _, r := range rows {
			latest[r.RecordID] = r.Max
		}
	}
	var want []uuid.UUID
	for _, en := range entries {
		if en.Collection != coll || en.Op == changelog.OpDelete || latest[en.RecordID] != en.ID {
			continue
		}
		switch {
		case coll == store.ToolkitItems:
			if ch.toolkit == nil {
				if ch.toolkit, err = e.toolkitItems(ctx); err != nil {
					return nil, nil, err
				}
			}
		case coll == store.Notifications:
			if en.AgentID != nil && *en.AgentID == s.agent.ID {
				want = append(want, en.RecordID)
			}
		case en.CustomerID != nil && ch.inBook[*en.CustomerID]:
			want = append(want, en.RecordID)
		}
	}
	if len(want) > 0 {
		m, err := ss.loadByIDs(s.vctx, coll, want)
		if err != nil {
			return nil, nil, err
		}
		ch.records[coll] = m
	}
	return ch, latest, nil
}

// rxdbEntry turns one entry into the documents of coll it makes, with ids
// above after, at most room of them.
func (e *Engine) rxdbEntry(ss *session, ch *chunk, latest map[uuid.UUID]int64, coll string, en *ent.ChangeLog, after uuid.UUID, room int) ([]rxdoc, error) {
	s := ss.s
	if unitCollections[coll] {
		switch {
		case en.Collection == store.Customers && en.PrevAgentID != nil:
			c := en.RecordID
			held, err := e.heldBy(s, en.PrevAgentID, en.ID-1)
			switch {
			case err != nil:
				return nil, err
			case ch.inBook[c] && !held:
				return e.rxdbBackfill(ss, coll, en.ID, []uuid.UUID{c}, after, room)
			case !ch.inBook[c] && held:
				return e.rxdbDrop(ss, coll, en.ID, []uuid.UUID{c}, after, room)
			}
		case en.Collection == store.Customers && en.Op == changelog.OpDelete:
			if ch.inBook[en.RecordID] {
				break
			}
			held, err := e.heldBy(s, en.AgentID, en.ID-1)
			if err != nil || !held {
				return nil, err
			}
			return e.rxdbDrop(ss, coll, en.ID, []uuid.UUID{en.RecordID}, after, room)
		case en.Collection == store.Agents:
			if en.RecordID == s.agent.ID && (s.lead || en.Version == store.AgentRoleChanged || en.Version == store.AgentLeftAdmin) {
				// The caller's own scope moved: a team lead's team, or the
				// caller's role (an RxDB checkpoint has no scope epoch).
				return e.rxdbScopeMoved(ss, coll, en, after, room)
			}
			if !s.lead {
				return nil, nil
			}
			joined := en.TeamID != nil && *en.TeamID == s.team
			left := en.PrevTeamID != nil && *en.PrevTeamID == s.team
			switch {
			case joined && !left:
				set, err := e.agentSet(s, en.RecordID, en.ID, false)
				if err != nil || len(set) == 0 {
					return nil, err
				}
				return e.rxdbBackfill(ss, coll, en.ID, set, after, room)
			case left && !joined:
				set, err := e.agentSet(s, en.RecordID, en.ID, true)
				if err != nil {
					return nil, err
				}
				return e.rxdbDrop(ss, coll, en.ID, set, after, room)
			}
			return nil, nil
		}
	}
	if en.Collection != coll || latest[en.RecordID] != en.ID || after != uuid.Nil {
		return nil, nil
	}
	one := func(data json.RawMessage) []rxdoc { return []rxdoc{{lwt: en.ID, id: en.RecordID, data: data}} }
	me := s.agent.ID
	switch {
	case coll == store.ToolkitItems:
		if en.Op != changelog.OpDelete {
			if i, ok := ch.toolkit.byID[en.RecordID]; ok {
				return one(rxdbDocument(ch.toolkit.items[i].data)), nil
			}
		}
		return one(rxdbTombstone(en.RecordID)), nil
	case coll == store.Notifications:
		mine := en.AgentID != nil && *en.AgentID == me
		switch {
		case mine && en.Op != changelog.OpDelete:
			return e.rxdbLoaded(ss, ch, en)
		case mine || (en.PrevAgentID != nil && *en.PrevAgentID == me):
			return one(rxdbTombstone(en.RecordID)), nil
		}
	case en.CustomerID != nil && ch.inBook[*en.CustomerID]:
		if en.Op == changelog.OpDelete {
			return one(rxdbTombstone(en.RecordID)), nil
		}
		return e.rxdbLoaded(ss, ch, en)
	}
	return nil, nil
}

func (e *Engine) rxdbLoaded(ss *session, ch *chunk, en *ent.ChangeLog) ([]rxdoc, error) {
	l := ch.records[en.Collection][en.RecordID]
	if l == nil {
		return nil, nil
	}
	data, err := ss.render(l)
	if err != nil || data == nil {
		return nil, err
	}
	return []rxdoc{{lwt: en.ID, id: en.RecordID, data: rxdbDocument(data)}}, nil
}

// rxdbBackfill returns the current records of coll under the customers of
// set (all of them when set is nil) that the caller may see, in id order
// after after, at lwt seq.
func (e *Engine) rxdbBackfill(ss *session, coll string, seq int64, set []uuid.UUID, after uuid.UUID, room int) ([]rxdoc, error) {
	if set != nil && len(set) == 0 {
		return nil, nil
	}
	src := sources[coll]
	var out []rxdoc
	for len(out) < room {
		n := min(room-len(out), snapBatch)
		recs, err := src.page(ss.s.vctx, e.db.Client, filter{customers: set}, after, n)
		if err != nil {
			return nil, fmt.Errorf("backfill %s: %w", coll, err)
		}
		ls, err := ss.load(ss.s.vctx, coll, recs)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			id, _, _ := recordMeta(l.rec)
			after = id
			data, err := ss.render(l)
			if err != nil {
				return nil, err
			}
			if data != nil {
				out = append(out, rxdoc{lwt: seq, id: id, data: rxdbDocument(data)})
			}
		}
		if len(recs) < n {
			break
		}
	}
	return out, nil
}

// rxdbDrop returns tombstones of every record of coll the log knows under
// the customers of set (whose latest entry still names one of them), in id
// order after after, at lwt seq.
func (e *Engine) rxdbDrop(ss *session, coll string, seq int64, set []uuid.UUID, after uuid.UUID, room int) ([]rxdoc, error) {
	if len(set) == 0 {
		return nil, nil
	}
	inSet := make(map[uuid.UUID]bool, len(set))
	for _, id := range set {
		inSet[id] = true
	}
	return e.rxdbTombstones(ss, coll, seq, changelog.CustomerIDIn(set...),
		func([]uuid.UUID) (map[uuid.UUID]bool, error) { return inSet, nil }, after, room)
}

// rxdbTombstones returns tombstones, at lwt seq, for the records of coll
// whose entries match of (on their customer) and whose latest entry's
// customer drop says to drop, in id order after after, at most room.
func (e *Engine) rxdbTombstones(ss *session, coll string, seq int64, of predicate.ChangeLog,
	drop func(customers []uuid.UUID) (map[uuid.UUID]bool, error), after uuid.UUID, room int) ([]rxdoc, error) {
	var out []rxdoc
	for len(out) < room {
		n := min(room-len(out), snapBatch)
		var cands []struct {
			RecordID uuid.UUID `json:"record_id"`
		}
		err := e.db.Client.ChangeLog.Query().
			Where(of, changelog.CollectionEQ(coll), changelog.RecordIDGT(after)).
			Unique(true).Order(ent.Asc(changelog.FieldRecordID)).Limit(n).
			Select(changelog.FieldRecordID).Scan(ss.s.sys, &cands)
		if err != nil {
			return nil, fmt.Errorf("list the records of dropped customers: %w", err)
		}
		if len(cands) == 0 {
			break
		}
		ids := make([]uuid.UUID, len(cands))
		for i, c := range cands {
			ids[i] = c.RecordID
		}
		last, err := e.latestEntries(ss.s.sys, ids)
		if err != nil {
			return nil, err
		}
		var custs []uuid.UUID
		for _, l := range last {
			if l != nil && l.CustomerID != nil {
				custs = append(custs, *l.CustomerID)
			}
		}
		dropped, err := drop(custs)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			after = id
			if l := last[id]; l != nil && l.CustomerID != nil && dropped[*l.CustomerID] && l.Collection == coll {
				out = append(out, rxdoc{lwt: seq, id: id, data: rxdbTombstone(id)})
			}
		}
		if len(cands) < n {
			break
		}
	}
	return out, nil
}

// rxdbScopeMoved turns a move of the caller's own scope — a team lead's
// move to another team, or a change of the caller's role — into
// documents: the whole book now (backfilled) and tombstones of the
// customers of the team it was in that are not in the book now. Both sets
// are decided by the current state, so a first replication after an old
// move is exact as well (it receives its book twice and tombstones of
// records it never held). An admin who took another role drops every
// record outside the new book instead.
func (e *Engine) rxdbScopeMoved(ss *session, coll string, en *ent.ChangeLog, after uuid.UUID, room int) ([]rxdoc, error) {
	s := ss.s
	// Both parts go in one id order: merge them.
	back, err := e.rxdbBackfill(ss, coll, en.ID, nil, after, room)
	if err != nil {
		return nil, err
	}
	if en.Version == store.AgentLeftAdmin {
		drop, err := e.rxdbDropOutsideBook(ss, coll, en.ID, after, room)
		if err != nil {
			return nil, err
		}
		return mergeDocs(back, drop, room), nil
	}
	if en.PrevTeamID == nil {
		return back, nil
	}
	members, err := e.teamMembersAt(s, *en.PrevTeamID, en.ID)
	if err != nil {
		return nil, err
	}
	var set []uuid.UUID
	for _, m := range members {
		if m == s.agent.ID {
			continue
		}
		cs, err := e.agentSet(s, m, en.ID, true)
		if err != nil {
			return nil, err
		}
		set = append(set, cs...)
	}
	// Only those out of the book now (a lead who became an agent keeps
	// the own customers; one who was promoted keeps the team's).
	in, err := e.inBook(s, set)
	if err != nil {
		return nil, err
	}
	set = slices.DeleteFunc(set, func(c uuid.UUID) bool { return in[c] })
	drop, err := e.rxdbDrop(ss, coll, en.ID, set, after, room)
	if err != nil {
		return nil, err
	}
	return mergeDocs(back, drop, room), nil
}

// mergeDocs merges two id-ordered runs of documents at one lwt, at most
// room of them.
func mergeDocs(back, drop []rxdoc, room int) []rxdoc {
	all := append(back, drop...)
	slices.SortFunc(all, func(a, b rxdoc) int { return slices.Compare(a.id[:], b.id[:]) })
	all = slices.CompactFunc(all, func(a, b rxdoc) bool { return a.id == b.id })
	if len(all) > room {
		all = all[:room]
	}
	return all
}

// rxdbDropOutsideBook returns tombstones, at lwt seq, for the records of
// coll whose customers are not in the caller's book now: what an admin
// who became an agent or a lead held and no longer sees.
func (e *Engine) rxdbDropOutsideBook(ss *session, coll string, seq int64, after uuid.UUID, room int) ([]rxdoc, error) {
	s := ss.s
	outside := func(sel *entsql.Selector) {
		sel.Where(entsql.And(entsql.NotNull(sel.C(changelog.FieldCustomerID)),
			entsql.NotIn(sel.C(changelog.FieldCustomerID), e.bookIDs(s))))
	}
	notInBook := func(custs []uuid.UUID) (map[uuid.UUID]bool, error) {
		in, err := e.inBook(s, custs)
		if err != nil {
			return nil, err
		}
		out := make(map[uuid.UUID]bool, len(custs))
		for _, c := range custs {
			out[c] = !in[c]
		}
		return out, nil
	}
	return e.rxdbTombstones(ss, coll, seq, outside, notInBook, after, room)
}

// teamMembersAt returns the agents in team just after seq (seq ≥ the
// scope's base).
func (e *Engine) teamMembersAt(s *scope, team uuid.UUID, seq int64) ([]uuid.UUID, error) {
	now, err := e.db.Client.Agent.Query().Where(agent.TeamID(team)).IDs(s.sys)
	if err != nil {
		return nil, fmt.Errorf("list the members of team %s: %w", team, err)
	}
	var moved []struct {
		RecordID uuid.UUID `json:"record_id"`
	}
	err = e.db.Client.ChangeLog.Query().
		Where(changelog.CollectionEQ(store.Agents), changelog.IDGT(seq), changelog.PrevTeamID(team)).
		Unique(true).Select(changelog.FieldRecordID).Scan(s.sys, &moved)
	if err != nil {
		return nil, fmt.Errorf("list the agents moved from team %s: %w", team, err)
	}
	cands := now
	for _, m := range moved {
		cands = append(cands, m.RecordID)
	}
	slices.SortFunc(cands, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	cands = slices.Compact(cands)
	var out []uuid.UUID
	for _, id := range cands {
		t, err := e.teamAt(s, id, seq)
		if err != nil {
			return nil, err
		}
		if t != nil && *t == team {
			out = append(out, id)
		}
	}
	return out, nil
}

// rxdbBase returns the records of coll that the caller may see and whose
// latest log entry is at or below the floor, at lwt floor, in id order
// after after.
func (e *Engine) rxdbBase(ss *session, coll string, floor int64, after uuid.UUID, room int) ([]rxdoc, error) {
	src := sources[coll]
	var out []rxdoc
	for len(out) < room {
		n := snapBatch
		recs, err := src.page(ss.s.vctx, e.db.Client, filter{}, after, n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", coll, err)
		}
		if len(recs) == 0 {
			break
		}
		ids := make([]uuid.UUID, len(recs))
		for i, r := range recs {
			ids[i], _, _ = recordMeta(r)
		}
		var rows []struct {
			RecordID uuid.UUID `json:"record_id"`
			Max      int64     `json:"max"`
		}
		err = e.db.Client.ChangeLog.Query().Where(changelog.RecordIDIn(ids...), changelog.CollectionEQ(coll)).
			GroupBy(changelog.FieldRecordID).Aggregate(ent.Max(changelog.FieldID)).Scan(ss.s.sys, &rows)
		if err != nil {
			return nil, fmt.Errorf("read the latest entries of records: %w", err)
		}
		later := map[uuid.UUID]bool{}
		for _, r := range rows {
			if r.Max > floor {
				later[r.RecordID] = true
			}
		}
		var keep []any
		for i, r := range recs {
			if !later[ids[i]] {
				keep = append(keep, r)
			}
		}
		ls, err := ss.load(ss.s.vctx, coll, keep)
		if err != nil {
			return nil, err
		}
		full := false
		for _, l := range ls {
			id, _, _ := recordMeta(l.rec)
			data, err := ss.render(l)
			if err != nil {
				return nil, err
			}
			if data != nil {
				out = append(out, rxdoc{lwt: floor, id: id, data: rxdbDocument(data)})
			}
			if len(out) >= room {
				full = true
				break
			}
		}
		if full {
			break
		}
		after = ids[len(ids)-1]
		if len(recs) < n {
			break
		}
	}
	return out, nil
}
