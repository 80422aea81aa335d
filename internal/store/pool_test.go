package store_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// A PostgreSQL pool is capped at MaxOpenConns: a burst of requests waits
// for a connection rather than exhausting the server's max_connections.
func TestPostgresPoolCap(t *testing.T) {
	u := storetest.URL(t, dialect.Postgres)
	db, err := store.Open(context.Background(), u, store.Options{MaxOpenConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.SQL.Stats().MaxOpenConnections; got != 3 {
		t.Fatalf("MaxOpenConnections = %d, want 3", got)
	}
}
