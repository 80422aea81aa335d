package syncer

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/store"
)

// snapPhase is one step of a first sync.
type snapPhase struct {
	coll   string
	closed *bool // complaints: open ones with the essentials, closed ones with the history
}

var (
	open, closed = false, true

	// snapshotOrder delivers what an agent works with before the
	// interaction history, which is most of the bytes of a book.
	snapshotOrder = []snapPhase{
		{coll: store.ToolkitItems},
		{coll: store.Customers},
		{coll: store.Portraits},
		{coll: store.Policies},
		{coll: store.ServicePlans},
		{coll: store.Tasks},
		{coll: store.Complaints, closed: &open},
		{coll: store.Notifications},
		{coll: store.Interactions},
		{coll: store.Complaints, closed: &closed},
	}
)

// essentialPhases is how many phases of snapshotOrder make the app usable.
const essentialPhases = 8

// snapBatch bounds the records read per query; customerBatch the
// customers whose records one query reads.
const (
	snapBatch     = 250
	customerBatch = 100
)

// snapshot continues a first sync: every record in the caller's scope,
// collection after collection, in id order (the collections under
// customers in customer order, each customer's records in id order). Records that change while
// the snapshot runs may arrive in their old or new version; the
// incremental pull from the snapshot's watermark brings every change
// committed after it.
func (e *Engine) snapshot(ctx context.Context, ss *session, cur *cursor, b *builder) (bool, error) {
	for cur.snapIdx < len(snapshotOrder) {
		ph := snapshotOrder[cur.snapIdx]
		var done bool
		var err error
		switch {
		case ph.coll == store.ToolkitItems:
			done, err = e.snapshotToolkit(ctx, cur, b)
		case byCustomer(ph.coll):
			done, err = e.snapshotByCustomer(ss, ph, cur, b)
		default:
			done, err = e.snapshotCollection(ss, ph, cur, b)
		}
		if err != nil || !done {
			return false, err
		}
		cur.snapIdx++
		cur.snapLast, cur.snapUpper, cur.snapCust = uuid.Nil, uuid.Nil, uuid.Nil
		if cur.snapIdx == essentialPhases && b.live > 0 {
			// The page that completes the essentials ends there: the app
			// is usable without waiting for the history's bytes.
			return false, nil
		}
	}
	return true, nil
}

// startPhase bounds a phase that begins by the highest id of its table
// (records inserted later come with the incremental pull); empty says
// that the table has no record at all.
func (e *Engine) startPhase(ss *session, ph snapPhase, cur *cursor) (empty bool, err error) {
	if cur.snapLast != uuid.Nil || cur.snapUpper != uuid.Nil || cur.snapCust != uuid.Nil {
		return false, nil // under way
	}
	upper, err := sources[ph.coll].maxID(ss.s.sys, e.db.Client)
	if err != nil {
		return false, fmt.Errorf("snapshot %s: %w", ph.coll, err)
	}
	cur.snapUpper = upper
	return upper == uuid.Nil, nil
}

func (e *Engine) snapshotCollection(ss *session, ph snapPhase, cur *cursor, b *builder) (bool, error) {
	src := sources[ph.coll]
	if empty, err := e.startPhase(ss, ph, cur); err != nil || empty {
		return empty, err
	}
	for {
		if b.full() {
			return false, nil
		}
		// One record more than the page takes tells whether the
		// collection ends with this page.
		n := min(b.room(), snapBatch)
		recs, err := src.page(ss.s.vctx, e.db.Client, filter{closed: ph.closed, upper: cur.snapUpper}, cur.snapLast, n+1)
		if err != nil {
			return false, fmt.Errorf("snapshot %s: %w", ph.coll, err)
		}
		more, stopped, err := ss.emit(ph.coll, recs, n, b, func(id, _ uuid.UUID) { cur.snapLast = id })
		if err != nil || stopped {
			return false, err
		}
		if !more {
			return true, nil
		}
	}
}

// snapshotByCustomer walks a collection under customers: the scope's
// customers in id order, a batch at a time, and their records in
// (customer_id, id) order, so that a page reads what it sends and not the
// whole book (a book's records are scattered over the table's id order).
func (e *Engine) snapshotByCustomer(ss *session, ph snapPhase, cur *cursor, b *builder) (bool, error) {
	src := sources[ph.coll]
	if empty, err := e.startPhase(ss, ph, cur); err != nil || empty {
		return empty, err
	}
	batch := customerBatch
	for {
		if b.full() {
			return false, nil
		}
		custs, err := e.db.Client.Customer.Query().Where(customer.IDGTE(cur.snapCust)).
			Order(ent.Asc(customer.FieldID)).Limit(batch).IDs(ss.s.vctx)
		if err != nil {
			return false, fmt.Errorf("snapshot %s: customers: %w", ph.coll, err)
		}
		if len(custs) == 0 {
			return true, nil
		}
		lastBatch := len(custs) < batch
		n := min(b.room(), snapBatch)
		recs, err := src.inCustomers(ss.s.vctx, e.db.Client, filter{closed: ph.closed, upper: cur.snapUpper},
			custs, cur.snapCust, cur.snapLast, n+1)
		if err != nil {
			return false, fmt.Errorf("snapshot %s: %w", ph.coll, err)
		}
		covered := 0 // customers whose records this query sent
		more, stopped, err := ss.emit(ph.coll, recs, n, b, func(id, cust uuid.UUID) {
			if cust != cur.snapCust || covered == 0 {
				covered++
			}
			cur.snapCust, cur.snapLast = cust, id
		})
		if err != nil || stopped {
			return false, err
		}
		if more {
			// The batch held more records than a query takes: read fewer
			// customers next time, so that a query reads about what it
			// sends (a book's interactions are ~25 per customer).
			batch = min(max(2*covered, 1), customerBatch)
		}
		if !more {
			// Every record of the batch's customers was sent.
			if lastBatch {
				return true, nil
			}
			cur.snapCust, cur.snapLast = custs[len(custs)-1], uuid.Max
		}
	}
}

// emit renders the first n of recs into b (one record more than n tells
// that more follow), telling at of each record sent (its id and
// customer). It stops when the page fills before the last of them.
func (ss *session) emit(coll string, recs []any, n int, b *builder, at func(id, cust uuid.UUID)) (more, stopped bool, err error) {
	more = len(recs) > n
	if more {
		recs = recs[:n]
	}
	ls, err := ss.load(ss.s.vctx, coll, recs)
	if err != nil {
		return false, false, err
	}
	for i, l := range ls {
		id, version, cust := recordMeta(l.rec)
		data, err := ss.render(l)
		if err != nil {
			return false, false, err
		}
		if data != nil {
			b.upsert(coll, id, version, data)
		}
		at(id, cust)
		if b.full() && (more || i < len(ls)-1) {
			return more, true, nil
		}
	}
	return more, false, nil
}

func (e *Engine) snapshotToolkit(ctx context.Context, cur *cursor, b *builder) (bool, error) {
	tk, err := e.toolkitItems(ctx)
	if err != nil {
		return false, err
	}
	i, _ := slices.BinarySearchFunc(tk.items, cur.snapLast, func(it toolkitEntry, id uuid.UUID) int {
		return slices.Compare(it.id[:], id[:])
	})
	if i < len(tk.items) && tk.items[i].id == cur.snapLast {
		i++
	}
	for ; i < len(tk.items); i++ {
		if b.full() {
			return false, nil
		}
		it := tk.items[i]
		b.upsert(store.ToolkitItems, it.id, it.version, it.data)
		cur.snapLast = it.id
	}
	return true, nil // a full page with the last item ends the phase too
}

// toolkitEntry is a published toolkit item, rendered.
type toolkitEntry struct {
	id      uuid.UUID
	version int64
	data    []byte
}

// toolkitSet is the shared toolkit as of one version of it.
type toolkitSet struct {
	key   [2]int64 // the toolkit's last change and the retention floor
	items []toolkitEntry
	byID  map[uuid.UUID]int
}

// toolkitCache holds the rendered published toolkit, the same for every
// agent, keyed by the sequence number of the toolkit's last change (and
// the retention floor, which compaction raises when it removes entries).
type toolkitCache struct {
	mu  sync.Mutex
	set *toolkitSet
}

func (e *Engine) toolkitItems(ctx context.Context) (*toolkitSet, error) {
	sys := sysContext(ctx)
	last, err := e.db.Client.ChangeLog.Query().Where(changelog.CollectionEQ(store.ToolkitItems)).
		Order(ent.Desc(changelog.FieldID)).Limit(1).IDs(sys)
	if err != nil {
		return nil, fmt.Errorf("read the toolkit's version: %w", err)
	}
	m, err := e.meta(ctx)
	if err != nil {
		return nil, err
	}
	key := [2]int64{0, m.floor}
	if len(last) > 0 {
		key[0] = last[0]
	}
	e.toolkit.mu.Lock()
	defer e.toolkit.mu.Unlock()
	if s := e.toolkit.set; s != nil && s.key == key {
		return s, nil
	}
	rows, err := e.db.Client.ToolkitItem.Query().Where(toolkititem.StatusEQ(toolkititem.StatusPublished)).
		Order(ent.Asc(toolkititem.FieldID)).All(sys)
	if err != nil {
		return nil, fmt.Errorf("load the toolkit: %w", err)
	}
	s := &toolkitSet{key: key, items: make([]toolkitEntry, 0, len(rows)), byID: make(map[uuid.UUID]int, len(rows))}
	now := e.clock.Now()
	for _, r := range rows {
		data, err := e.render(Record{Collection: store.ToolkitItems, Entity: r, Now: now})
		if err != nil {
			return nil, fmt.Errorf("render toolkit item %s: %w", r.ID, err)
		}
		s.byID[r.ID] = len(s.items)
		s.items = append(s.items, toolkitEntry{id: r.ID, version: r.Version, data: data})
	}
	e.toolkit.set = s
	return s, nil
}
