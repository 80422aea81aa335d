package httpapi

import (
	"testing"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

// FuzzWatermelonMigration parses arbitrary migration parameters: a value
// is WatermelonDB's migration sync info or a validation error, never a
// panic or another kind of error.
func FuzzWatermelonMigration(f *testing.F) {
	f.Add(`{"from":1,"tables":["notifications"],"columns":[]}`)
	f.Add(`{"from":0,"tables":[],"columns":[{"table":"tasks","columns":["checklist"]}]}`)
	f.Add(`{"from":1}{"from":2}`)
	f.Add(`{"tables":[]}`)
	f.Add(`{"from":1,"x":2}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseWatermelonMigration(s)
		if err != nil {
			if ae, ok := apperr.As(err); !ok || ae.Kind != apperr.KindInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if m == nil {
			t.Fatalf("%q: no migration and no error", s)
		}
	})
}
