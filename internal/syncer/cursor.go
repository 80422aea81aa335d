package syncer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"

	"github.com/google/uuid"
)

// The cursor is opaque to clients: base64url (no padding) of a small
// binary record followed by a truncated HMAC-SHA256 of it. Format 1:
//
//	byte     format (1)
//	16 bytes agent id            16 bytes server era
//	uvarint  scope epoch         uvarint schema version
//	uvarint  watermark W         byte    phase (0 idle, 1 snapshot, 2 incremental)
//	snapshot:    uvarint phase index, 16 bytes last id, 16 bytes upper id,
//	             16 bytes customer (phases walked customer by customer)
//	incremental: uvarint target T, uvarint position P, byte unit kind,
//	             and for a unit: 16 bytes subject, uvarint collection index,
//	             16 bytes last id, 16 bytes upper id
//	16 bytes HMAC-SHA256(key, everything before)[:16]
//
// W is the watermark whose state the client holds completely; while a
// pull is in progress (phase ≠ idle) the pages are pinned to W (snapshot)
// or to T (incremental), and the client saves the cursor only once
// has_more is false, when the phase is idle again.
//
// Format 1 had no customer in the snapshot: such a cursor restarts its
// phase if the phase is walked by customer (the client receives again
// what it holds, loses nothing).
const (
	cursorFormat = 2
	macSize      = 16
	maxCursorLen = 256 // bytes, before base64
)

type phase byte

const (
	phaseIdle phase = iota
	phaseSnapshot
	phaseIncremental
)

// unitKind names a unit of work that an incremental pull may have to
// finish across pages: a whole customer (or the customers of an agent)
// entering or leaving the viewer's scope.
type unitKind byte

const (
	unitNone unitKind = iota
	unitBackfillCustomer
	unitDropCustomer
	unitDropDeleted
	unitBackfillAgent
	unitDropAgent
	unitKinds
)

// unit is the state of a unit in progress.
type unit struct {
	kind    unitKind
	subject uuid.UUID // the customer or the agent
	coll    int       // backfill: index in backfillOrder
	last    uuid.UUID // the last record emitted (keyset)
	upper   uuid.UUID // backfill: the highest id of the collection when its part began
}

// cursor is the decoded state of a pull.
type cursor struct {
	agent  uuid.UUID
	era    uuid.UUID
	epoch  int64
	schema int64
	w      int64
	phase  phase

	// snapshot: the phase, the last record sent, and the highest id of
	// the phase's table when the phase began (records inserted later come
	// with the incremental pull, so that a busy table cannot keep a
	// snapshot from ending); for the phases walked customer by customer,
	// the customer of the last record sent (snapLast is uuid.Max once
	// all of its records were sent)
	snapIdx   int
	snapLast  uuid.UUID
	snapUpper uuid.UUID
	snapCust  uuid.UUID

	// incremental
	target int64
	pos    int64
	unit   unit
}

var (
	errCursorMalformed = errors.New("malformed cursor")
	errCursorSignature = errors.New("cursor signature mismatch")
)

// encodeCursor signs and encodes c. The encoding is deterministic: the
// same state gives the same string (ETags rely on it).
func encodeCursor(key []byte, c cursor) string {
	b := make([]byte, 0, 96)
	b = append(b, cursorFormat)
	b = append(b, c.agent[:]...)
	b = append(b, c.era[:]...)
	b = binary.AppendUvarint(b, uint64(c.epoch))
	b = binary.AppendUvarint(b, uint64(c.schema))
	b = binary.AppendUvarint(b, uint64(c.w))
	b = append(b, byte(c.phase))
	switch c.phase {
	case phaseSnapshot:
		b = binary.AppendUvarint(b, uint64(c.snapIdx))
		b = append(b, c.snapLast[:]...)
		b = append(b, c.snapUpper[:]...)
		b = append(b, c.snapCust[:]...)
	case phaseIncremental:
		b = binary.AppendUvarint(b, uint64(c.target))
		b = binary.AppendUvarint(b, uint64(c.pos))
		b = append(b, byte(c.unit.kind))
		if c.unit.kind != unitNone {
			b = append(b, c.unit.subject[:]...)
			b = binary.AppendUvarint(b, uint64(c.unit.coll))
			b = append(b, c.unit.last[:]...)
			b = append(b, c.unit.upper[:]...)
		}
	}
	b = append(b, sign(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sign(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)[:macSize]
}

// decodeCursor verifies and decodes s. Any failure is errCursorMalformed or
// errCursorSignature; neither says more, so a forger learns nothing.
func decodeCursor(key []byte, s string) (cursor, error) {
	var c cursor
	if len(s) == 0 || len(s) > base64.RawURLEncoding.EncodedLen(maxCursorLen) {
		return c, errCursorMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 1+macSize {
		return c, errCursorMalformed
	}
	body, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, sign(key, body)) {
		return c, errCursorSignature
	}
	r := reader{b: body}
	format := r.byte()
	if format != cursorFormat && format != 1 {
		return c, errCursorMalformed
	}
	c.agent = r.uuid()
	c.era = r.uuid()
	c.epoch = r.int()
	c.schema = r.int()
	c.w = r.int()
	c.phase = phase(r.byte())
	switch c.phase {
	case phaseIdle:
	case phaseSnapshot:
		c.snapIdx = int(r.int())
		c.snapLast = r.uuid()
		c.snapUpper = r.uuid()
		if format == 1 {
			if c.snapIdx < len(snapshotOrder) && byCustomer(snapshotOrder[c.snapIdx].coll) {
				c.snapLast, c.snapUpper = uuid.Nil, uuid.Nil
			}
		} else {
			c.snapCust = r.uuid()
		}
		if c.snapIdx >= len(snapshotOrder) {
			r.bad = true
		}
	case phaseIncremental:
		c.target = r.int()
		c.pos = r.int()
		c.unit.kind = unitKind(r.byte())
		if c.unit.kind >= unitKinds {
			r.bad = true
		} else if c.unit.kind != unitNone {
			c.unit.subject = r.uuid()
			c.unit.coll = int(r.int())
			c.unit.last = r.uuid()
			c.unit.upper = r.uuid()
			if c.unit.coll > len(backfillOrder) {
				r.bad = true
			}
		}
		if c.pos < c.w || c.pos > c.target {
			r.bad = true
		}
	default:
		r.bad = true
	}
	if r.bad || len(r.b) != 0 {
		return cursor{}, errCursorMalformed
	}
	return c, nil
}

// reader consumes a cursor body; any short read marks it bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uuid() uuid.UUID {
	var id uuid.UUID
	if len(r.b) < 16 {
		r.bad = true
		r.b = nil
		return id
	}
	copy(id[:], r.b[:16])
	r.b = r.b[16:]
	return id
}

func (r *reader) int() int64 {
	v, n := binary.Uvarint(r.b)
	// Only the minimal encoding is valid, so a cursor has one spelling.
	if n <= 0 || v > 1<<62 || n != len(binary.AppendUvarint(nil, v)) {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return int64(v)
}

// etag is the entity tag of a pull answer: derived from the cursor it
// returns, so a pull that returns the cursor it was given (nothing new)
// matches the ETag of the previous answer.
func etag(key []byte, cursor string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("etag:"))
	m.Write([]byte(cursor))
	return `"` + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12]) + `"`
}
