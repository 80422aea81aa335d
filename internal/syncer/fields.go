package syncer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// ignoredFields are bookkeeping fields a client may send back with a
// whole record; the server sets them, so they are ignored (an id must
// name the mutation's record).
var ignoredFields = []string{"id", "version", "created_at", "updated_at"}

// fields decodes a mutation's data strictly: each field is decoded into
// its type when read, and whatever is left unread is an unknown or
// read-only field. Problems collect as field errors with JSON pointers
// into data.
type fields struct {
	data map[string]json.RawMessage
	used map[string]bool
	errs []apperr.FieldError
	// readOnly names fields of the collection that clients may not set,
	// so that they are reported as such rather than as unknown.
	readOnly map[string]string
}

func newFields(data map[string]json.RawMessage, readOnly map[string]string) *fields {
	return &fields{data: data, used: map[string]bool{}, readOnly: readOnly}
}

func (f *fields) bad(name, code, msg string) {
	f.errs = append(f.errs, apperr.FieldError{Field: "/" + name, Code: code, Message: msg})
}

// raw returns a field's JSON, whether it was sent, and whether it is null.
func (f *fields) raw(name string) (json.RawMessage, bool, bool) {
	v, ok := f.data[name]
	if !ok {
		return nil, false, false
	}
	f.used[name] = true
	return v, true, bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func (f *fields) has(name string) bool { _, ok := f.data[name]; return ok }

// decode unmarshals a present, non-null field into v.
func (f *fields) decode(name string, v any, want string) bool {
	raw, ok, null := f.raw(name)
	if !ok {
		return false
	}
	if null {
		f.bad(name, "type", "must be "+want+", not null")
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		f.bad(name, "type", "must be "+want)
		return false
	}
	return true
}

// text reads a string of at most max characters; null reads as "" when
// nullable.
func (f *fields) text(name string, max int, nullable bool) *string {
	raw, ok, null := f.raw(name)
	if !ok {
		return nil
	}
	if null {
		if !nullable {
			f.bad(name, "type", "must be a string, not null")
			return nil
		}
		s := ""
		return &s
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.bad(name, "type", "must be a string")
		return nil
	}
	if utf8.RuneCountInString(s) > max {
		f.bad(name, "maxLength", fmt.Sprintf("must have at most %d characters", max))
		return nil
	}
	return &s
}

// enum reads one of values.
func (f *fields) enum(name string, values ...string) *string {
	var s string
	if !f.decode(name, &s, "a string") {
		return nil
	}
	if !slices.Contains(values, s) {
		f.bad(name, "enum", "must be one of "+strings.Join(values, ", "))
		return nil
	}
	return &s
}

// enumOrNull reads one of values; null reads as nil.
func (f *fields) enumOrNull(name string, values ...string) *string {
	if _, ok, null := f.raw(name); !ok || null {
		return nil
	}
	return f.enum(name, values...)
}

// time reads an RFC 3339 time; null clears when nullable (cleared is then
// true and the time nil).
func (f *fields) time(name string, nullable bool) (t *time.Time, cleared bool) {
	raw, ok, null := f.raw(name)
	if !ok {
		return nil, false
	}
	if null {
		if !nullable {
			f.bad(name, "type", "must be a date-time, not null")
		}
		return nil, nullable
	}
	var v time.Time
	if err := json.Unmarshal(raw, &v); err != nil {
		f.bad(name, "format", "must be an RFC 3339 date-time")
		return nil, false
	}
	v = v.UTC()
	return &v, false
}

// date reads a YYYY-MM-DD date as UTC midnight; null clears.
func (f *fields) date(name string) (t *time.Time, cleared bool) {
	raw, ok, null := f.raw(name)
	if !ok {
		return nil, false
	}
	if null {
		return nil, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.bad(name, "type", "must be a date string")
		return nil, false
	}
	v, err := time.Parse(time.DateOnly, s)
	if err != nil {
		f.bad(name, "format", "must be a date (YYYY-MM-DD)")
		return nil, false
	}
	return &v, false
}

// uuid reads an id; null clears when nullable.
func (f *fields) uuid(name string, nullable bool) (id *uuid.UUID, cleared bool) {
	raw, ok, null := f.raw(name)
	if !ok {
		return nil, false
	}
	if null {
		if !nullable {
			f.bad(name, "type", "must be a UUID, not null")
		}
		return nil, nullable
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.bad(name, "type", "must be a UUID string")
		return nil, false
	}
	v, err := uuid.Parse(s)
	if err != nil {
		f.bad(name, "format", "must be a UUID")
		return nil, false
	}
	return &v, false
}

// uuids reads a list of at most max ids.
func (f *fields) uuids(name string, max int) *[]uuid.UUID {
	var ss []string
	if !f.decode(name, &ss, "an array of UUIDs") {
		return nil
	}
	if len(ss) > max {
		f.bad(name, "maxItems", fmt.Sprintf("must list at most %d items", max))
		return nil
	}
	out := make([]uuid.UUID, 0, len(ss))
	for i, s := range ss {
		id, err := uuid.Parse(s)
		if err != nil {
			f.bad(fmt.Sprintf("%s/%d", name, i), "format", "must be a UUID")
			return nil
		}
		out = append(out, id)
	}
	return &out
}

// checklist reads a checklist of at most max entries.
func (f *fields) checklist(name string, max int) *[]domain.ChecklistItem {
	var items []struct {
		Key     *string `json:"key"`
		Label   *string `json:"label"`
		Checked *bool   `json:"checked"`
	}
	if !f.decode(name, &items, "an array of checklist items") {
		return nil
	}
	if len(items) > max {
		f.bad(name, "maxItems", fmt.Sprintf("must list at most %d items", max))
		return nil
	}
	out := make([]domain.ChecklistItem, 0, len(items))
	for i, it := range items {
		switch {
		case it.Key == nil || *it.Key == "" || utf8.RuneCountInString(*it.Key) > 100:
			f.bad(fmt.Sprintf("%s/%d/key", name, i), "required", "a key of 1 to 100 characters is required")
			return nil
		case it.Label != nil && utf8.RuneCountInString(*it.Label) > 500:
			f.bad(fmt.Sprintf("%s/%d/label", name, i), "maxLength", "must have at most 500 characters")
			return nil
		}
		c := domain.ChecklistItem{Key: *it.Key}
		if it.Label != nil {
			c.Label = *it.Label
		}
		if it.Checked != nil {
			c.Checked = *it.Checked
		}
		out = append(out, c)
	}
	return &out
}

// finish reports the fields nobody read: read-only ones with their
// reason, others as unknown; an id must be the record's.
func (f *fields) finish(id uuid.UUID) error {
	for name, raw := range f.data {
		switch {
		case f.used[name]:
			continue
		case name == "id":
			var s string
			if json.Unmarshal(raw, &s) != nil || s != id.String() {
				f.bad(name, "mismatch", "must be the mutation's id")
			}
		case slices.Contains(ignoredFields, name):
		case f.readOnly[name] != "":
			f.bad(name, "read_only", f.readOnly[name])
		default:
			f.bad(name, "unknown_field", "is not a field of this collection that clients write")
		}
	}
	if len(f.errs) == 0 {
		return nil
	}
	slices.SortFunc(f.errs, func(a, b apperr.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return apperr.Invalid("the mutation's data is invalid", f.errs...)
}
