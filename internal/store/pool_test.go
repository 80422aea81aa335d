package store_test

import (
	"context"
	"strconv"
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

// BulkLoad's connections do not wait for the disk at commit; SQLite's
// also get the bulk page cache and statement journals in memory,
// PostgreSQL's plan each statement for its parameters. A server's keep
// synchronous commits and cached plans.
func TestBulkLoadConnections(t *testing.T) {
	type setting struct{ query, server, bulk string }
	settings := map[string][]setting{
		dialect.SQLite: {
			{"PRAGMA synchronous", "1", "0"},
			{"PRAGMA cache_size", strconv.Itoa(-store.SQLiteCacheKiB), strconv.Itoa(-store.BulkCacheKiB)},
			{"PRAGMA temp_store", "0", "2"},
			{"PRAGMA journal_mode", "wal", "wal"},
		},
		dialect.Postgres: {{"SHOW synchronous_commit", "on", "off"}, {"SHOW plan_cache_mode", "auto", "force_custom_plan"}},
	}
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dial, func(t *testing.T) {
			u := storetest.URL(t, dial)
			for _, bulk := range []bool{false, true} {
				db, err := store.Open(context.Background(), u, store.Options{BulkLoad: bulk, MaxOpenConns: 2})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range settings[dial] {
					want := s.server
					if bulk {
						want = s.bulk
					}
					var got string
					if err := db.SQL.QueryRow(s.query).Scan(&got); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("bulk %v: %s = %s, want %s", bulk, s.query, got, want)
					}
				}
				db.Close()
			}
		})
	}
}
