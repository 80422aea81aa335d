package syncer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
)

// AppendColumnsJSON appends the page as SyncPullResponse with its changes
// in batches (format=columns): each run of consecutive changes of one
// collection becomes one SyncChangeBatch, its records' fields side by
// side, so that field names are written once and like values (ids, dates,
// texts) sit together for the compressor. Decoding the batches gives back
// Changes in order (DecodeBatches).
func (p *Page) AppendColumnsJSON(b []byte) ([]byte, error) {
	b = append(b, `{"changes":[],"batches":[`...)
	for i, n := 0, 0; i < len(p.Changes); n++ {
		j := i + 1
		for j < len(p.Changes) && p.Changes[j].Collection == p.Changes[i].Collection {
			j++
		}
		if n > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendBatch(b, p.Changes[i:j]); err != nil {
			return nil, err
		}
		i = j
	}
	return p.appendTail(b), nil
}

// column is one field of a batch: its value for each change (nil: the
// record lacks the field, or the change is a delete).
type column struct {
	name   string
	values [][]byte
}

// appendBatch appends the changes of one collection as a SyncChangeBatch.
func appendBatch(b []byte, cs []Change) ([]byte, error) {
	var cols []*column
	byName := map[string]*column{}
	deletes := false
	for i := range cs {
		c := &cs[i]
		if c.Op == OpDelete {
			deletes = true
			continue
		}
		fields, err := splitObject(c.Data)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.Collection, c.ID, err)
		}
		for _, f := range fields {
			col := byName[f.name]
			if col == nil {
				col = &column{name: f.name, values: make([][]byte, len(cs))}
				byName[f.name] = col
				cols = append(cols, col)
			}
			col.values[i] = f.value
		}
	}
	b = append(b, `{"collection":"`...)
	b = append(b, cs[0].Collection...)
	b = append(b, `","id":[`...)
	for i := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, cs[i].ID.String()...)
		b = append(b, '"')
	}
	b = append(b, `],"version":[`...)
	for i := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, cs[i].Version, 10)
	}
	b = append(b, ']')
	if deletes {
		b = append(b, `,"op":[`...)
		for i := range cs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, cs[i].Op)
		}
		b = append(b, `],"reason":[`...)
		k := 0
		for i := range cs {
			if cs[i].Op != OpDelete {
				continue
			}
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, cs[i].Reason)
			k++
		}
		b = append(b, ']')
	}
	b = append(b, `,"fields":{`...)
	for k, col := range cols {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, col.name)
		b = append(b, ":["...)
		for i, v := range col.values {
			if i > 0 {
				b = append(b, ',')
			}
			if v == nil {
				v = []byte("null")
			}
			b = append(b, v...)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	first := true
	for _, col := range cols {
		var at []int
		for i, v := range col.values {
			if v == nil && cs[i].Op != OpDelete {
				at = append(at, i)
			}
		}
		if at == nil {
			continue
		}
		if first {
			b = append(b, `,"missing":{`...)
			first = false
		} else {
			b = append(b, ',')
		}
		b = appendJSONString(b, col.name)
		b = append(b, ":["...)
		for k, i := range at {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(i), 10)
		}
		b = append(b, ']')
	}
	if !first {
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// field is one member of a JSON object: its name (unescaped) and its
// value's raw JSON.
type field struct {
	name  string
	value []byte
}

var errNotObject = errors.New("the record is not a JSON object")

// splitObject returns the members of the JSON object raw in order,
// without decoding their values. raw must be valid JSON (records are
// rendered by encoding/json); malformed input returns an error.
func splitObject(raw []byte) ([]field, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errNotObject
	}
	i = skipSpace(raw, i+1)
	var out []field
	if i < len(raw) && raw[i] == '}' {
		return out, trailing(raw, i+1)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, errNotObject
		}
		end, err := skipString(raw, i)
		if err != nil {
			return nil, err
		}
		name := string(raw[i+1 : end-1])
		if bytes.IndexByte(raw[i:end], '\\') >= 0 || !utf8.ValidString(name) {
			if err := json.Unmarshal(raw[i:end], &name); err != nil {
				return nil, err
			}
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, errNotObject
		}
		i = skipSpace(raw, i+1)
		vend, err := skipValue(raw, i)
		if err != nil {
			return nil, err
		}
		out = append(out, field{name: name, value: raw[i:vend]})
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return nil, errNotObject
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return out, trailing(raw, i+1)
		default:
			return nil, errNotObject
		}
	}
}

func trailing(raw []byte, i int) error {
	if skipSpace(raw, i) != len(raw) {
		return errNotObject
	}
	return nil
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the end of the string that starts at raw[i] ('"').
func skipString(raw []byte, i int) (int, error) {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errNotObject
}

// skipValue returns the end of the JSON value that starts at raw[i],
// checked with encoding/json's validator.
func skipValue(raw []byte, i int) (int, error) {
	if i >= len(raw) {
		return 0, errNotObject
	}
	end := i
	switch raw[i] {
	case '"':
		e, err := skipString(raw, i)
		if err != nil {
			return 0, err
		}
		end = e
	case '{', '[':
		depth := 0
		for end < len(raw) {
			switch raw[end] {
			case '"':
				e, err := skipString(raw, end)
				if err != nil {
					return 0, err
				}
				end = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			end++
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			return 0, errNotObject
		}
	default:
		for end < len(raw) && raw[end] != ',' && raw[end] != '}' && raw[end] != ']' &&
			raw[end] != ' ' && raw[end] != '\t' && raw[end] != '\n' && raw[end] != '\r' {
			end++
		}
	}
	if !json.Valid(raw[i:end]) {
		return 0, errNotObject
	}
	return end, nil
}

// batchJSON is SyncChangeBatch as a client decodes it.
type batchJSON struct {
	Collection string                       `json:"collection"`
	ID         []uuid.UUID                  `json:"id"`
	Version    []int64                      `json:"version"`
	Op         []string                     `json:"op"`
	Reason     []string                     `json:"reason"`
	Fields     map[string][]json.RawMessage `json:"fields"`
	Missing    map[string][]int             `json:"missing"`
}

// DecodeBatches turns the batches of a format=columns page back into its
// changes, in order, each upsert's data as a JSON object of the record's
// fields. It is the client's side of AppendColumnsJSON, for Go clients and
// tests.
func DecodeBatches(raw json.RawMessage) ([]Change, error) {
	var batches []batchJSON
	if err := json.Unmarshal(raw, &batches); err != nil {
		return nil, err
	}
	var out []Change
	for bi, bt := range batches {
		n := len(bt.ID)
		if n == 0 || len(bt.Version) != n || (bt.Op != nil && len(bt.Op) != n) {
			return nil, fmt.Errorf("batch %d: columns of unequal length", bi)
		}
		missing := map[string]map[int]bool{}
		for name, at := range bt.Missing {
			missing[name] = map[int]bool{}
			for _, i := range at {
				missing[name][i] = true
			}
		}
		for name, vs := range bt.Fields {
			if len(vs) != n {
				return nil, fmt.Errorf("batch %d: field %q has %d values for %d changes", bi, name, len(vs), n)
			}
		}
		deletes := 0
		for i := range n {
			c := Change{Collection: bt.Collection, Op: OpUpsert, ID: bt.ID[i], Version: bt.Version[i]}
			if bt.Op != nil {
				c.Op = bt.Op[i]
			}
			if c.Op == OpDelete {
				if deletes >= len(bt.Reason) {
					return nil, fmt.Errorf("batch %d: delete %d without a reason", bi, i)
				}
				c.Reason = bt.Reason[deletes]
				deletes++
				out = append(out, c)
				continue
			}
			data := make(map[string]json.RawMessage, len(bt.Fields))
			for name, vs := range bt.Fields {
				if !missing[name][i] {
					data[name] = vs[i]
				}
			}
			b, err := json.Marshal(data)
			if err != nil {
				return nil, err
			}
			c.Data = b
			out = append(out, c)
		}
		if deletes != len(bt.Reason) {
			return nil, fmt.Errorf("batch %d: %d reasons for %d deletes", bi, len(bt.Reason), deletes)
		}
	}
	return out, nil
}
