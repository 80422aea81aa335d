package syncer

import (
	"fmt"
	"slices"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

// WatermelonSchema is one version of the WatermelonDB app schema that the
// server serves: the tables a client at that version has and their
// columns.
type WatermelonSchema struct {
	Version int
	Tables  map[string][]string
}

// WatermelonSchemas is the history of the app schema, oldest first: a
// client names its version as schema_version, and its migration names
// the tables and columns added since from. Append a version when the
// contract adds a synced table or a column (and keep the old ones while
// apps at them are in use); drop the oldest to stop serving it (426).
var WatermelonSchemas = []WatermelonSchema{
	{Version: 1, Tables: WatermelonColumns},
}

// watermelonSchema returns the schema a client at version v is served: the
// newest when v is nil or newer than every version (an app's own later
// tables and columns are local to it), the version itself when served,
// and apperr.UpgradeRequired when v is older than the oldest.
func (e *Engine) watermelonSchema(v *int) (WatermelonSchema, error) {
	h := e.opts.WatermelonSchemas
	newest := h[len(h)-1]
	switch {
	case v == nil || *v >= newest.Version:
		return newest, nil
	case *v < h[0].Version:
		return WatermelonSchema{}, apperr.UpgradeRequired(fmt.Sprintf(
			"WatermelonDB schema version %d is no longer served (the oldest is %d): update the app", *v, h[0].Version))
	}
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Version <= *v {
			return h[i], nil // a version between two served ones has the older one's tables
		}
	}
	return h[0], nil
}

// validWatermelonSchemas checks a history: versions increase, and each one
// keeps the tables and columns of the one before.
func validWatermelonSchemas(h []WatermelonSchema) error {
	if len(h) == 0 {
		return fmt.Errorf("no WatermelonDB schema versions")
	}
	for i, s := range h {
		for t, cols := range s.Tables {
			if _, ok := WatermelonColumns[t]; !ok {
				return fmt.Errorf("WatermelonDB schema %d: %q is not a synced table", s.Version, t)
			}
			for _, c := range cols {
				if !slices.Contains(WatermelonColumns[t], c) {
					return fmt.Errorf("WatermelonDB schema %d: %q is not a column of %s", s.Version, c, t)
				}
			}
			if !slices.Contains(cols, "id") {
				return fmt.Errorf("WatermelonDB schema %d: table %s lacks id", s.Version, t)
			}
		}
		if i == 0 {
			continue
		}
		prev := h[i-1]
		if s.Version <= prev.Version {
			return fmt.Errorf("WatermelonDB schema versions must increase: %d after %d", s.Version, prev.Version)
		}
		for t, cols := range prev.Tables {
			for _, c := range cols {
				if !slices.Contains(s.Tables[t], c) {
					return fmt.Errorf("WatermelonDB schema %d drops %s.%s of %d", s.Version, t, c, prev.Version)
				}
			}
		}
	}
	return nil
}

// checkMigration validates WatermelonDB's migration info: from is below
// the client's version, and every table and column it names is one that
// the client's version has; when from is a served version, a table it
// names as added must not be in from's already. (The app's migrations
// know what they added, also from a version the server never served.)
func checkMigration(m *WatermelonMigration, h []WatermelonSchema, to WatermelonSchema) error {
	if m == nil {
		return nil
	}
	bad := func(msg string) error {
		return apperr.Invalid("migration is invalid: "+msg, apperr.FieldError{Field: "migration", Code: "invalid", Message: msg})
	}
	if m.From < 0 || m.From >= to.Version {
		return bad(fmt.Sprintf("from must be below the schema version %d", to.Version))
	}
	var from *WatermelonSchema
	for i := range h {
		if h[i].Version == m.From {
			from = &h[i]
		}
	}
	for _, t := range m.Tables {
		if _, ok := to.Tables[t]; !ok {
			return bad(fmt.Sprintf("%q is not a table of schema version %d", t, to.Version))
		}
		if from != nil {
			if _, ok := from.Tables[t]; ok {
				return bad(fmt.Sprintf("table %q is in schema version %d already", t, from.Version))
			}
		}
	}
	for _, c := range m.Columns {
		cols, ok := to.Tables[c.Table]
		if !ok {
			return bad(fmt.Sprintf("%q is not a table of schema version %d", c.Table, to.Version))
		}
		for _, name := range c.Columns {
			if !slices.Contains(cols, name) {
				return bad(fmt.Sprintf("%q is not a column of %s in schema version %d", name, c.Table, to.Version))
			}
		}
	}
	return nil
}
