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

// Every SQLite connection gets the larger page cache.
func TestSQLiteCacheSize(t *testing.T) {
	db, err := store.Open(context.Background(), storetest.URL(t, dialect.SQLite), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kib int
	if err := db.SQL.QueryRow("PRAGMA cache_size").Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if kib != -store.SQLiteCacheKiB {
		t.Fatalf("cache_size = %d, want %d", kib, -store.SQLiteCacheKiB)
	}
}
