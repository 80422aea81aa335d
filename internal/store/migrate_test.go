package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql/schema"

	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestMigrations checks that the migrations apply from empty, that applying
// them again changes nothing, and that they produce exactly the schema the
// ent code expects (a stale migration directory fails here).
func TestMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v1, err := db.MigrationVersion(ctx)
		if err != nil || v1 == "" {
			t.Fatalf("MigrationVersion = %q, %v; want the newest migration", v1, err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		v2, _ := db.MigrationVersion(ctx)
		if v1 != v2 {
			t.Fatalf("version moved from %s to %s on a no-op migrate", v1, v2)
		}
		var buf bytes.Buffer
		if err := db.Client.Schema.WriteTo(ctx, &buf, schema.WithDropColumn(true), schema.WithDropIndex(true)); err != nil {
			t.Fatalf("diff schema: %v", err)
		}
		var pending []string
		for _, line := range strings.Split(buf.String(), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "--") || line == "BEGIN;" || line == "COMMIT;" {
				continue
			}
			pending = append(pending, line)
		}
		if len(pending) > 0 {
			t.Fatalf("migrations lag the ent schema; run `go run ./internal/store/migrategen -name …`. Missing:\n%s",
				strings.Join(pending, "\n"))
		}
	})
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://root@localhost/x", store.Options{})
	if err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("Open(mysql) error = %v, want unsupported scheme", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"sqlite:/tmp/a.db", "sqlite:/tmp/a.db"},
	}
	for _, tt := range tests {
		if got := store.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
