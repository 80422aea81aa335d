package syncer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Ops and reasons of changes.
const (
	OpUpsert          = "upsert"
	OpDelete          = "delete"
	ReasonDeleted     = "deleted"
	ReasonOutOfScope  = "out_of_scope"
	changeOverhead    = 120 // bytes of JSON around a change's data
	minPageChangeRoom = 1
)

// Change is one change of a pull page. Clients apply a page in order: an
// upsert stores the record when they hold no copy or an older version
// (so they may skip upserts of versions they already hold, such as their
// own pushed changes); a delete removes their copy, whatever its version.
type Change struct {
	Collection string
	Op         string
	ID         uuid.UUID
	Version    int64
	// Reason says why a record was deleted: ReasonDeleted or ReasonOutOfScope.
	Reason string
	// Data is the record (upserts), as the JSON of its REST schema.
	Data json.RawMessage
	// Entered marks an upsert of a backfill: the record entered the
	// caller's scope with this pull (adapters that split created from
	// updated records use it; the native wire format does not carry it).
	Entered bool
}

func (c *Change) size() int { return len(c.Data) + changeOverhead }

// Page is one answer of Pull.
type Page struct {
	Changes []Change
	// Cursor is for the next pull; clients save it once HasMore is false.
	Cursor string
	// HasMore says that more pages follow at the same watermark.
	HasMore bool
	// EssentialComplete says that the client holds everything it needs to
	// work once it applied this page: only interaction history may follow.
	EssentialComplete bool
	ServerTime        time.Time
	// ETag identifies the answer (it derives from Cursor): a pull that
	// comes back with nothing new returns the same cursor and ETag.
	ETag string
}

// AppendJSON appends the page as the JSON of openapi.yaml's
// SyncPullResponse.
func (p *Page) AppendJSON(b []byte) []byte {
	b = append(b, `{"changes":[`...)
	for i := range p.Changes {
		if i > 0 {
			b = append(b, ',')
		}
		c := &p.Changes[i]
		b = append(b, `{"collection":"`...)
		b = append(b, c.Collection...)
		b = append(b, `","op":"`...)
		b = append(b, c.Op...)
		b = append(b, `","id":"`...)
		b = append(b, c.ID.String()...)
		b = append(b, `","version":`...)
		b = strconv.AppendInt(b, c.Version, 10)
		if c.Op == OpDelete {
			b = append(b, `,"reason":"`...)
			b = append(b, c.Reason...)
			b = append(b, '"')
		} else {
			b = append(b, `,"data":`...)
			b = append(b, c.Data...)
		}
		b = append(b, '}')
	}
	return p.appendTail(b)
}

// appendTail closes a page's array of changes (or batches) and appends
// the rest of SyncPullResponse.
func (p *Page) appendTail(b []byte) []byte {
	b = append(b, `],"cursor":"`...)
	b = append(b, p.Cursor...)
	b = append(b, `","has_more":`...)
	b = strconv.AppendBool(b, p.HasMore)
	b = append(b, `,"essential_complete":`...)
	b = strconv.AppendBool(b, p.EssentialComplete)
	b = append(b, `,"server_time":"`...)
	b = p.ServerTime.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)
	return b
}

// MarshalJSON encodes the page as SyncPullResponse.
func (p *Page) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256)
	return p.AppendJSON(buf.Bytes()), nil
}

type changeKey struct {
	coll string
	id   uuid.UUID
}

// builder collects the changes of a page, bounded by count and bytes.
// A record changed twice in a page keeps only its latest change, at the
// latest position (a page is applied in order).
type builder struct {
	limit, maxBytes int
	changes         []Change
	at              map[changeKey]int
	live, bytes     int
}

func newBuilder(limit, maxBytes int) *builder {
	return &builder{limit: limit, maxBytes: maxBytes, at: map[changeKey]int{}}
}

// full says that the page takes no more changes. A page always takes
// at least one, however large, so that every pull makes progress.
func (b *builder) full() bool {
	return b.live >= b.limit || (b.live >= minPageChangeRoom && b.bytes >= b.maxBytes)
}

// room is how many more changes the page takes by count.
func (b *builder) room() int { return max(b.limit-b.live, 0) }

func (b *builder) add(c Change) {
	k := changeKey{c.Collection, c.ID}
	if i, ok := b.at[k]; ok {
		if b.changes[i].Entered && c.Op == OpUpsert {
			c.Entered = true
		}
		b.bytes -= b.changes[i].size()
		b.changes[i] = Change{}
		b.live--
	}
	b.at[k] = len(b.changes)
	b.changes = append(b.changes, c)
	b.live++
	b.bytes += c.size()
}

func (b *builder) upsert(coll string, id uuid.UUID, version int64, data []byte) {
	b.add(Change{Collection: coll, Op: OpUpsert, ID: id, Version: version, Data: data})
}

// enter is an upsert of a record that entered the caller's scope.
func (b *builder) enter(coll string, id uuid.UUID, version int64, data []byte) {
	b.add(Change{Collection: coll, Op: OpUpsert, ID: id, Version: version, Data: data, Entered: true})
}

func (b *builder) remove(coll string, id uuid.UUID, version int64, reason string) {
	if version < 1 {
		version = 1
	}
	b.add(Change{Collection: coll, Op: OpDelete, ID: id, Version: version, Reason: reason})
}

// result returns the live changes in order.
func (b *builder) result() []Change {
	out := make([]Change, 0, b.live)
	for _, c := range b.changes {
		if c.Collection != "" {
			out = append(out, c)
		}
	}
	return out
}
