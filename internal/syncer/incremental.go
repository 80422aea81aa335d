package syncer

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// logChunk is how many log entries an incremental pull reads at a time.
const logChunk = 500

// An incremental pull from watermark W0 to the pinned target W1 reads the
// entries of (W0, W1] in sequence order and turns each into changes:
//
//   - a record of a customer in the caller's book now: its current version
//     (read through the caller's context; a record that meanwhile left the
//     scope or was deleted is skipped, the entry that did so follows), or
//     its tombstone;
//   - a customer moved into the book from an owner the caller did not see
//     (just before the move): the whole customer, every record under it
//     although those records did not change, and the tombstones of its
//     records (a backfill);
//   - a customer moved out of the book, or deleted, that the caller held
//     just before (its previous owner was the caller or, for a team lead,
//     then in the team): deletes of the customer and of every record the
//     log knows under it (out_of_scope, or deleted);
//   - for a team lead, an agent joining the team: a backfill of the
//     customers the agent holds or held since; leaving it: deletes of
//     those that are not in the lead's book now; the lead's own move makes
//     the cursor unservable (410);
//   - the caller's notifications, and the published toolkit (an item
//     withdrawn arrives as out_of_scope).
//
// Decisions about the book use the current state, never a state of the
// past the database no longer has: an entry of a customer that left the
// book after W1 is skipped, and the entry of that move, past W1, makes
// the next pull delete the customer; a customer that entered the book
// after W1 arrives complete with the next pull's backfill. Units (a
// backfill, a drop) may span pages: the cursor keeps where they stand.
func (e *Engine) incremental(ctx context.Context, ss *session, cur *cursor, b *builder) (bool, error) {
	if cur.unit.kind != unitNone {
		done, err := e.runUnit(ctx, ss, cur, b)
		if err != nil || !done {
			return false, err
		}
		cur.unit = unit{}
	}
	for cur.pos < cur.target {
		if b.full() {
			return false, nil
		}
		// Most entries become one change: read about what the page takes.
		n := min(max(2*b.room(), 32), logChunk)
		entries, err := e.db.Client.ChangeLog.Query().
			Where(changelog.IDGT(cur.pos), changelog.IDLTE(cur.target), e.logFilter(ss.s)).
			Order(ent.Asc(changelog.FieldID)).Limit(n).All(ss.s.sys)
		if err != nil {
			return false, fmt.Errorf("read the change log: %w", err)
		}
		if len(entries) == 0 {
			cur.pos = cur.target
			break
		}
		ch, err := e.prepare(ctx, ss, entries)
		if err != nil {
			return false, err
		}
		for _, en := range entries {
			if b.full() {
				return false, nil
			}
			u, err := e.classify(ss.s, ch, en)
			if err != nil {
				return false, err
			}
			cur.pos = en.ID
			if u.kind != unitNone {
				cur.unit = u
				done, err := e.runUnit(ctx, ss, cur, b)
				if err != nil || !done {
					return false, err
				}
				cur.unit = unit{}
				continue
			}
			if err := e.emit(ss, ch, en, b); err != nil {
				return false, err
			}
		}
		if len(entries) < n {
			cur.pos = cur.target
		}
	}
	return true, nil
}

// bookIDs selects the ids of the customers in the caller's book now.
func (e *Engine) bookIDs(s *scope) *entsql.Selector {
	book := entsql.Dialect(e.db.Dialect).Select(customer.FieldID).From(entsql.Table(customer.Table))
	access.Book(s.v)(book)
	return book
}

// logFilter narrows the log to entries that may concern the caller, with
// indexed predicates only: records of customers in the book now, the
// caller's own entries (notifications), the toolkit, scope events of
// agents, and the moves and deletions of customers (whose previous owner
// decides). The classification of each entry decides the rest.
func (e *Engine) logFilter(s *scope) predicate.ChangeLog {
	me := s.agent.ID
	if s.admin {
		return changelog.Or(changelog.CollectionNEQ(store.Notifications), changelog.AgentID(me), changelog.PrevAgentID(me))
	}
	return func(sel *entsql.Selector) {
		book := e.bookIDs(s)
		sel.Where(entsql.Or(
			entsql.And(entsql.NEQ(sel.C(changelog.FieldCollection), store.Notifications),
				entsql.In(sel.C(changelog.FieldCustomerID), book)),
			entsql.EQ(sel.C(changelog.FieldAgentID), me),
			entsql.EQ(sel.C(changelog.FieldPrevAgentID), me),
			entsql.In(sel.C(changelog.FieldCollection), store.ToolkitItems, store.Agents),
			entsql.And(entsql.EQ(sel.C(changelog.FieldCollection), store.Customers),
				entsql.Or(entsql.NotNull(sel.C(changelog.FieldPrevAgentID)), entsql.EQ(sel.C(changelog.FieldOp), changelog.OpDelete.String()))),
		))
	}
}

// chunk is what one chunk of log entries needs: which customers are in
// the book now, and the current records to send.
type chunk struct {
	inBook  map[uuid.UUID]bool
	records map[string]map[uuid.UUID]*loaded
	toolkit *toolkitSet
}

func (e *Engine) prepare(ctx context.Context, ss *session, entries []*ent.ChangeLog) (*chunk, error) {
	s := ss.s
	ch := &chunk{inBook: map[uuid.UUID]bool{}, records: map[string]map[uuid.UUID]*loaded{}}
	var custIDs []uuid.UUID
	for _, en := range entries {
		if unitCollections[en.Collection] && en.CustomerID != nil {
			custIDs = append(custIDs, *en.CustomerID)
		}
	}
	in, err := e.inBook(s, custIDs)
	if err != nil {
		return nil, err
	}
	ch.inBook = in
	want := map[string][]uuid.UUID{}
	for _, en := range entries {
		switch {
		case en.Op == changelog.OpDelete:
		case en.Collection == store.ToolkitItems:
			if ch.toolkit == nil {
				if ch.toolkit, err = e.toolkitItems(ctx); err != nil {
					return nil, err
				}
			}
		case en.Collection == store.Notifications:
			if en.AgentID != nil && *en.AgentID == s.agent.ID {
				want[en.Collection] = append(want[en.Collection], en.RecordID)
			}
		case unitCollections[en.Collection] && en.CustomerID != nil && ch.inBook[*en.CustomerID]:
			want[en.Collection] = append(want[en.Collection], en.RecordID)
		}
	}
	for coll, ids := range want {
		m, err := ss.loadByIDs(s.vctx, coll, ids)
		if err != nil {
			return nil, err
		}
		ch.records[coll] = m
	}
	return ch, nil
}

// inBook returns which of the customers are in the caller's book now.
func (e *Engine) inBook(s *scope, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	const batch = 1000
	for start := 0; start < len(ids); start += batch {
		got, err := e.db.Client.Customer.Query().Where(customer.IDIn(ids[start:min(start+batch, len(ids))]...)).IDs(s.vctx)
		if err != nil {
			return nil, fmt.Errorf("read the book: %w", err)
		}
		for _, id := range got {
			out[id] = true
		}
	}
	return out, nil
}

// classify says whether an entry starts a unit: a customer (or an
// agent's customers) entering or leaving the caller's scope.
func (e *Engine) classify(s *scope, ch *chunk, en *ent.ChangeLog) (unit, error) {
	switch {
	case en.Collection == store.Customers && en.PrevAgentID != nil:
		c := en.RecordID
		held, err := e.heldBy(s, en.PrevAgentID, en.ID-1)
		switch {
		case err != nil:
			return unit{}, err
		case ch.inBook[c] && !held:
			// Entering the book: the customer arrives complete. (One
			// that the caller held before arrives with its change alone.)
			return unit{kind: unitBackfillCustomer, subject: c}, nil
		case !ch.inBook[c] && held:
			return unit{kind: unitDropCustomer, subject: c}, nil
		}
		return unit{}, nil
	case en.Collection == store.Customers && en.Op == changelog.OpDelete:
		if ch.inBook[en.RecordID] {
			return unit{}, nil
		}
		held, err := e.heldBy(s, en.AgentID, en.ID-1)
		if err != nil || !held {
			return unit{}, err
		}
		return unit{kind: unitDropDeleted, subject: en.RecordID}, nil
	case en.Collection == store.Agents && s.lead:
		joined := en.TeamID != nil && *en.TeamID == s.team
		left := en.PrevTeamID != nil && *en.PrevTeamID == s.team
		switch {
		case joined && !left:
			return unit{kind: unitBackfillAgent, subject: en.RecordID}, nil
		case left && !joined:
			return unit{kind: unitDropAgent, subject: en.RecordID}, nil
		}
	}
	return unit{}, nil
}

// emit turns an entry that starts no unit into at most one change.
func (e *Engine) emit(ss *session, ch *chunk, en *ent.ChangeLog, b *builder) error {
	me := ss.s.agent.ID
	switch {
	case en.Collection == store.ToolkitItems:
		if en.Op == changelog.OpDelete {
			b.remove(en.Collection, en.RecordID, en.Version, ReasonDeleted)
			return nil
		}
		if i, ok := ch.toolkit.byID[en.RecordID]; ok {
			it := ch.toolkit.items[i]
			b.upsert(en.Collection, it.id, it.version, it.data)
			return nil
		}
		// Withdrawn (or not yet published): agents do not see it.
		b.remove(en.Collection, en.RecordID, en.Version, ReasonOutOfScope)
	case en.Collection == store.Notifications:
		mine := en.AgentID != nil && *en.AgentID == me
		switch {
		case mine && en.Op == changelog.OpDelete:
			b.remove(en.Collection, en.RecordID, en.Version, ReasonDeleted)
		case mine:
			return e.emitLoaded(ss, ch, en, b)
		case en.PrevAgentID != nil && *en.PrevAgentID == me:
			b.remove(en.Collection, en.RecordID, en.Version, ReasonOutOfScope)
		}
	case unitCollections[en.Collection] && en.CustomerID != nil && ch.inBook[*en.CustomerID]:
		if en.Op == changelog.OpDelete {
			b.remove(en.Collection, en.RecordID, en.Version, ReasonDeleted)
			return nil
		}
		return e.emitLoaded(ss, ch, en, b)
	}
	return nil
}

func (e *Engine) emitLoaded(ss *session, ch *chunk, en *ent.ChangeLog, b *builder) error {
	l := ch.records[en.Collection][en.RecordID]
	if l == nil {
		return nil
	}
	data, err := ss.render(l)
	if err != nil || data == nil {
		return err
	}
	id, version, _ := recordMeta(l.rec)
	b.upsert(en.Collection, id, version, data)
	return nil
}

// sysContext is the server's own context, for the change log.
func sysContext(ctx context.Context) context.Context { return auth.SystemContext(ctx) }
