package syncer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

var testKey = bytes.Repeat([]byte("k"), 32)

func TestCursorRoundTrip(t *testing.T) {
	cases := []cursor{
		{agent: uuid.New(), era: uuid.New(), epoch: 3, schema: 1, w: 0},
		{agent: uuid.New(), era: uuid.New(), schema: 1, w: 12, phase: phaseSnapshot, snapIdx: 8, snapLast: uuid.New()},
		{agent: uuid.New(), era: uuid.New(), schema: 1, w: 12, phase: phaseSnapshot, snapIdx: 3, snapLast: uuid.Max,
			snapUpper: uuid.New(), snapCust: uuid.New()},
		{agent: uuid.New(), era: uuid.New(), schema: 1, w: 12, phase: phaseIncremental, target: 900, pos: 40},
		{agent: uuid.New(), era: uuid.New(), schema: 1, w: 1 << 40, phase: phaseIncremental, target: 1<<40 + 5, pos: 1<<40 + 2,
			unit: unit{kind: unitDropAgent, subject: uuid.New(), last: uuid.New()}},
		{agent: uuid.New(), era: uuid.New(), schema: 1, w: 7, phase: phaseIncremental, target: 9, pos: 8,
			unit: unit{kind: unitBackfillCustomer, subject: uuid.New(), coll: 6, last: uuid.New()}},
	}
	for _, c := range cases {
		s := encodeCursor(testKey, c)
		got, err := decodeCursor(testKey, s)
		if err != nil {
			t.Fatalf("decode %+v: %v", c, err)
		}
		if diff := cmp.Diff(c, got, cmp.AllowUnexported(cursor{}, unit{})); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		if encodeCursor(testKey, got) != s {
			t.Errorf("encoding is not deterministic")
		}
	}
}

func TestCursorRefusesForgeries(t *testing.T) {
	good := encodeCursor(testKey, cursor{agent: uuid.New(), era: uuid.New(), schema: 1, w: 5})
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flipped := append([]byte(nil), raw...)
	flipped[20] ^= 1
	cases := map[string]string{
		"empty":       "",
		"not base64":  "!!!",
		"truncated":   good[:len(good)-4],
		"bit flipped": base64.RawURLEncoding.EncodeToString(flipped),
		"other key":   encodeCursor(bytes.Repeat([]byte("x"), 32), cursor{schema: 1}),
		"too long":    base64.RawURLEncoding.EncodeToString(make([]byte, 400)),
	}
	for name, s := range cases {
		if _, err := decodeCursor(testKey, s); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzDecodeCursor: no input crashes the decoder, whether it comes as
// the whole cursor or as a body the server signed (past the signature
// check), and whatever it accepts encodes back to the same cursor.
func FuzzDecodeCursor(f *testing.F) {
	for _, c := range []cursor{
		{agent: uuid.New(), era: uuid.New(), schema: 1, w: 5},
		{schema: 1, w: 5, phase: phaseSnapshot, snapIdx: 3, snapLast: uuid.New()},
		{schema: 1, w: 5, phase: phaseIncremental, target: 9, pos: 6, unit: unit{kind: unitDropCustomer, subject: uuid.New()}},
	} {
		raw, _ := base64.RawURLEncoding.DecodeString(encodeCursor(testKey, c))
		f.Add(raw[:len(raw)-macSize])
	}
	f.Add([]byte("AAAA"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		if c, err := decodeCursor(testKey, string(body)); err == nil {
			if encodeCursor(testKey, c) != string(body) {
				t.Fatalf("accepted %q", body)
			}
		}
		signed := base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), body...), sign(testKey, body)...))
		c, err := decodeCursor(testKey, signed)
		if err != nil {
			return
		}
		if got := encodeCursor(testKey, c); got != signed {
			t.Fatalf("accepted %x, which encodes as %q", body, got)
		}
	})
}

// Cursors the server cannot serve: 400 for forged or foreign ones, 410
// sync-reset-required for those of another era, epoch or schema version,
// older than the retention floor or ahead of the log; 426 for an
// unsupported schema version.
func TestCursorChecks(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		a := v.agent(auth.RoleAgent, nil)
		b := v.agent(auth.RoleAgent, nil)
		v.family(a)
		d := v.device(a)
		d.pull(1000)
		good := d.cursor
		cur, err := decodeCursor(v.e.key, good)
		if err != nil {
			t.Fatal(err)
		}
		pull := func(ctx context.Context, c string, schema int) error {
			req := PullRequest{Cursor: c}
			if schema != 0 {
				req.SchemaVersion = &schema
			}
			_, err := v.e.Pull(ctx, req)
			return err
		}
		wantKind := func(name string, err error, kind apperr.Kind, code string) {
			t.Helper()
			e, ok := apperr.As(err)
			if !ok || e.Kind != kind || e.Code != code {
				t.Errorf("%s: %v, want %v %q", name, err, kind, code)
			}
		}
		if err := pull(d.ctx, good, 0); err != nil {
			t.Fatalf("good cursor: %v", err)
		}
		wantKind("forged", pull(d.ctx, good[:len(good)-2]+"AA", 0), apperr.KindInvalid, "")
		wantKind("foreign", pull(v.as(b), good, 0), apperr.KindInvalid, "")
		wantKind("schema 2", pull(d.ctx, good, 2), apperr.KindUpgradeRequired, "")
		ahead := cur
		ahead.w += 100
		wantKind("ahead of the log", pull(d.ctx, encodeCursor(v.e.key, ahead), 0), apperr.KindGone, "sync-reset-required")
		old := cur
		old.schema = 0
		wantKind("old schema", pull(d.ctx, encodeCursor(v.e.key, old), 0), apperr.KindGone, "sync-reset-required")

		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Agent.UpdateOneID(a.ID).AddScopeEpoch(1).Exec(ctx)
		})
		wantKind("epoch", pull(d.ctx, good, 0), apperr.KindGone, "sync-reset-required")
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Agent.UpdateOneID(a.ID).AddScopeEpoch(-1).Exec(ctx)
		})
		if err := pull(d.ctx, good, 0); err != nil {
			t.Fatalf("good cursor again: %v", err)
		}

		// Another era: the database was restored.
		if err := v.db.Client.ServerMeta.Update().Where(servermeta.ID(metaEra)).SetValue(uuid.NewString()).Exec(v.sys()); err != nil {
			t.Fatal(err)
		}
		wantKind("era", pull(d.ctx, good, 0), apperr.KindGone, "sync-reset-required")
		// Starting over works.
		d2 := v.device(a)
		d2.pull(1000)
		d2.converged(a)
	})
}

// encodeCursorV1 writes a snapshot cursor as format 1 did (no customer).
func encodeCursorV1(key []byte, c cursor) string {
	b := []byte{1}
	b = append(b, c.agent[:]...)
	b = append(b, c.era[:]...)
	b = binary.AppendUvarint(b, uint64(c.epoch))
	b = binary.AppendUvarint(b, uint64(c.schema))
	b = binary.AppendUvarint(b, uint64(c.w))
	b = append(b, byte(c.phase), byte(c.snapIdx))
	b = append(b, c.snapLast[:]...)
	b = append(b, c.snapUpper[:]...)
	b = append(b, sign(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// A snapshot cursor of format 1 still decodes: a phase walked by id
// resumes where it was, a phase now walked by customer starts again.
func TestCursorFormat1Snapshot(t *testing.T) {
	last, upper := uuid.New(), uuid.New()
	for i, ph := range snapshotOrder {
		c := cursor{agent: uuid.New(), era: uuid.New(), schema: 1, w: 9, phase: phaseSnapshot, snapIdx: i, snapLast: last, snapUpper: upper}
		got, err := decodeCursor(testKey, encodeCursorV1(testKey, c))
		if err != nil {
			t.Fatalf("%s: %v", ph.coll, err)
		}
		want := c
		if byCustomer(ph.coll) {
			want.snapLast, want.snapUpper = uuid.Nil, uuid.Nil
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(cursor{}, unit{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ph.coll, diff)
		}
	}
}
