package syncer

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// clientChecksums computes the checksums the way a client does over its
// own rows, from DESIGN.md's definition alone.
func clientChecksums(recs map[recKey]int64) map[string]Checksum {
	out := map[string]Checksum{}
	for _, c := range Collections {
		out[c] = Checksum{}
	}
	for k, ver := range recs {
		h := sha256.Sum256([]byte(k.id.String() + ":" + itoa(ver)))
		c := out[k.coll]
		c.Count++
		c.Sum += binary.BigEndian.Uint64(h[:8])
		out[k.coll] = c
	}
	return out
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// The sum of DESIGN.md, against values computed independently (Python's
// hashlib): the sum wraps modulo 2^64.
func TestRecordChecksum(t *testing.T) {
	var c Checksum
	c.Add(uuid.MustParse("01958f3c-4b22-7d41-9a02-1c2d3e4f5a61"), 7)
	if c.Sum != 15647562158770707311 {
		t.Errorf("one record: %d", c.Sum)
	}
	c.Add(uuid.MustParse("01958f3c-4b22-7d41-9a02-1c2d3e4f5a62"), 1)
	if c.Count != 2 || c.Sum != 1568358102436865047 {
		t.Errorf("two records: %+v", c)
	}
}

// The server's checksums of a scope equal a client's over what it pulled.
func TestChecksumMatchesTheClient(t *testing.T) {
	eachEnv(t, func(t *testing.T, v *env) {
		team := v.team("A组")
		a := v.agent(auth.RoleAgent, &team)
		lead := v.agent(auth.RoleTeamLead, &team)
		other := v.agent(auth.RoleAgent, nil)
		for range 3 {
			v.family(a)
		}
		v.family(other)
		v.toolkitItem(true)
		v.notification(a)
		for _, who := range []*ent.Agent{a, lead} {
			d := v.device(who)
			d.pull(7)
			rep, err := v.e.Checksum(d.ctx, d.cursor)
			if err != nil {
				t.Fatal(err)
			}
			want := clientChecksums(d.recs)
			for _, coll := range Collections {
				if rep.Collections[coll] != want[coll] {
					t.Errorf("%s %s: server %+v, client %+v", who.Username, coll, rep.Collections[coll], want[coll])
				}
			}
			if rep.Collections[store.Interactions].Count != 3 {
				t.Errorf("interactions counted: %d", rep.Collections[store.Interactions].Count)
			}
		}

		// A cursor behind the scope gets the checksums of the current state
		// with a cursor to pull to it; a change outside the scope does not
		// matter.
		d := v.device(a)
		d.pull(1000)
		v.family(other)
		if rep, err := v.e.Checksum(d.ctx, d.cursor); err != nil || rep.Cursor != d.cursor {
			t.Errorf("change outside the scope: %v, cursor changed %v", err, rep != nil && rep.Cursor != d.cursor)
		}
		v.family(a)
		rep, err := v.e.Checksum(d.ctx, d.cursor)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Cursor == d.cursor || rep.Collections[store.Customers] == clientChecksums(d.recs)[store.Customers] {
			t.Fatalf("a stale cursor: %+v", rep)
		}
		d.cursor = rep.Cursor
		d.pull(2)
		if want := clientChecksums(d.recs); !cmp.Equal(want, rep.Collections) {
			t.Errorf("after pulling from the report's cursor (-want +got):\n%s", cmp.Diff(want, rep.Collections))
		}
		// Only completed pulls have checksums.
		p, err := v.e.Pull(d.ctx, PullRequest{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.Checksum(d.ctx, p.Cursor); apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("cursor of a pull in progress: %v", err)
		}
	})
}
