package syncer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

func decodeData(t *testing.T, b []byte) any {
	t.Helper()
	if b == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// A page's batches decode to its changes: runs of one collection, records
// lacking fields others have, deletes among upserts, escaped names and
// nested values.
func TestColumnsRoundTrip(t *testing.T) {
	id := func(n byte) uuid.UUID { return uuid.UUID{15: n} }
	cases := []struct {
		name    string
		changes []Change
		batches int
	}{
		{"empty", nil, 0},
		{"one upsert", []Change{{Collection: "customers", Op: OpUpsert, ID: id(1), Version: 1, Data: []byte(`{"id":"x","name":"王芳"}`)}}, 1},
		{"missing and extra fields", []Change{
			{Collection: "tasks", Op: OpUpsert, ID: id(1), Version: 2, Data: []byte(`{"a":1,"b":null}`)},
			{Collection: "tasks", Op: OpUpsert, ID: id(2), Version: 3, Data: []byte(`{"b":[1,{"c":"}"}],"d":"x\"y"}`)},
			{Collection: "tasks", Op: OpUpsert, ID: id(3), Version: 1, Data: []byte(` { "a\u00e9" : { "n" : [ ] } , "a" : -1.5e3 } `)},
		}, 1},
		{"deletes between upserts and collections", []Change{
			{Collection: "customers", Op: OpDelete, ID: id(1), Version: 4, Reason: ReasonOutOfScope},
			{Collection: "tasks", Op: OpUpsert, ID: id(2), Version: 1, Data: []byte(`{"t":true}`)},
			{Collection: "tasks", Op: OpDelete, ID: id(3), Version: 2, Reason: ReasonDeleted},
			{Collection: "tasks", Op: OpUpsert, ID: id(4), Version: 1, Data: []byte(`{}`)},
			{Collection: "customers", Op: OpUpsert, ID: id(5), Version: 1, Data: []byte(`{"t":false}`)},
		}, 3},
		{"reasons in the order of the deletes", []Change{
			{Collection: "policies", Op: OpDelete, ID: id(1), Version: 9, Reason: ReasonOutOfScope},
			{Collection: "policies", Op: OpUpsert, ID: id(2), Version: 1, Data: []byte(`{"n":1}`)},
			{Collection: "policies", Op: OpDelete, ID: id(3), Version: 3, Reason: ReasonDeleted},
			{Collection: "policies", Op: OpDelete, ID: id(4), Version: 5, Reason: ReasonOutOfScope},
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &Page{Changes: tc.changes, Cursor: "c", ServerTime: time.Unix(0, 0)}
			raw, err := p.AppendColumnsJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Changes []json.RawMessage `json:"changes"`
				Batches []json.RawMessage `json:"batches"`
				Cursor  string            `json:"cursor"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if body.Changes == nil || len(body.Changes) != 0 || len(body.Batches) != tc.batches || body.Cursor != "c" {
				t.Fatalf("page %s", raw)
			}
			all, _ := json.Marshal(body.Batches)
			got, err := DecodeBatches(all)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.changes) {
				t.Fatalf("%d changes back, want %d: %s", len(got), len(tc.changes), raw)
			}
			for i, w := range tc.changes {
				g := got[i]
				if g.Collection != w.Collection || g.Op != w.Op || g.ID != w.ID || g.Version != w.Version || g.Reason != w.Reason ||
					!reflect.DeepEqual(decodeData(t, g.Data), decodeData(t, w.Data)) {
					t.Errorf("change %d: got %+v (%s), want %+v (%s)", i, g, g.Data, w, w.Data)
				}
			}
		})
	}
}

func TestAppendColumnsRejectsMalformedRecords(t *testing.T) {
	p := &Page{Changes: []Change{{Collection: "tasks", Op: OpUpsert, ID: uuid.New(), Version: 1, Data: []byte(`[1]`)}}}
	if _, err := p.AppendColumnsJSON(nil); err == nil {
		t.Fatal("a record that is not an object was encoded")
	}
}

func TestDecodeBatchesRejectsInconsistentColumns(t *testing.T) {
	const id = `"00000000-0000-0000-0000-000000000001"`
	for name, raw := range map[string]string{
		"versions short":   `[{"collection":"tasks","id":[` + id + `],"version":[],"fields":{}}]`,
		"field short":      `[{"collection":"tasks","id":[` + id + `],"version":[1],"fields":{"a":[]}}]`,
		"delete no reason": `[{"collection":"tasks","id":[` + id + `],"version":[1],"op":["delete"],"fields":{}}]`,
		"extra reason":     `[{"collection":"tasks","id":[` + id + `],"version":[1],"op":["delete"],"reason":["deleted","deleted"],"fields":{}}]`,
		"not an array":     `{}`,
	} {
		if _, err := DecodeBatches(json.RawMessage(raw)); err == nil {
			t.Errorf("%s: decoded %s", name, raw)
		}
	}
}

// splitObject agrees with encoding/json on every valid object and never
// panics on anything else.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"}","b":[1,{"c":null}]}`, ` {"\u00e9\"":true , "x":-0.5e-3} `,
		`{"a":}`, `{"a":1,}`, `{"a" 1}`, `["a"]`, `{"a":"\"}`, `{"a":{"b":[}]}}`, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fields, err := splitObject(raw)
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || m == nil {
			return // not a JSON object: splitObject may refuse it or not, but returned
		}
		if err != nil {
			t.Fatalf("splitObject(%q): %v", raw, err)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.Token() // {
		n := 0
		for i := 0; d.More(); i++ {
			k, _ := d.Token()
			var v json.RawMessage
			if err := d.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if i >= len(fields) || fields[i].name != k.(string) || !bytes.Equal(bytes.TrimSpace(fields[i].value), v) {
				t.Fatalf("splitObject(%q) member %d: %+v, want %q=%s", raw, i, fields, k, v)
			}
			n = i + 1
		}
		if n != len(fields) {
			t.Fatalf("splitObject(%q): %d members, want %d", raw, len(fields), n)
		}
	})
}

// DecodeBatches reads a server's answer: it returns an error, never
// panics, on anything it is given.
func FuzzDecodeBatches(f *testing.F) {
	p := &Page{Changes: []Change{
		{Collection: "tasks", Op: OpUpsert, ID: uuid.UUID{15: 1}, Version: 2, Data: []byte(`{"a":1}`)},
		{Collection: "tasks", Op: OpDelete, ID: uuid.UUID{15: 2}, Version: 3, Reason: ReasonDeleted},
	}}
	raw, err := p.AppendColumnsJSON(nil)
	if err != nil {
		f.Fatal(err)
	}
	var body struct {
		Batches json.RawMessage `json:"batches"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(body.Batches))
	f.Add([]byte(`[{"collection":"tasks","id":[],"version":[],"fields":{},"missing":{"a":[-1,99]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeBatches(b)
	})
}
