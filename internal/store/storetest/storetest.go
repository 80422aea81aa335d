// Package storetest gives tests a fresh, migrated database of their own:
// an SQLite file in the test's temporary directory, or a PostgreSQL
// database copied from a migrated template and dropped afterwards.
//
// PostgreSQL tests run when AGENTDESK_TEST_POSTGRES_URL names a server
// (any database on it; tests create their own). Without it they skip,
// except under CI=true, where they fail: CI must test both databases.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// EnvPostgresURL names the PostgreSQL server that tests use.
const EnvPostgresURL = "AGENTDESK_TEST_POSTGRES_URL"

// Options tune the databases made for a test.
type Options struct {
	Clock clock.Clock
}

// Each runs fn as a subtest on every database: "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	EachWith(t, Options{}, fn)
}

// EachWith is Each with options.
func EachWith(t *testing.T, opts Options, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t, opts)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t, opts)) })
}

// URL returns a fresh, migrated database URL of the dialect for t, for
// tests that start whole servers. It is dropped when t ends.
func URL(t testing.TB, dial string) string {
	t.Helper()
	if dial == dialect.Postgres {
		return newPostgresDB(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "agentdesk.db")
}

// SQLite returns a migrated SQLite database in a file of its own.
func SQLite(t testing.TB, opts Options) *store.DB {
	t.Helper()
	return open(t, URL(t, dialect.SQLite), opts)
}

// Postgres returns a migrated PostgreSQL database of its own.
func Postgres(t testing.TB, opts Options) *store.DB {
	t.Helper()
	return open(t, newPostgresDB(t), opts)
}

func open(t testing.TB, u string, opts Options) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, u, store.Options{Clock: opts.Clock})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

var (
	tmplOnce sync.Once
	tmplName string
	tmplErr  error
)

// newPostgresDB creates a database from a migrated template and registers
// its removal.
func newPostgresDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvPostgresURL)
		}
		t.Skipf("%s not set; skipping PostgreSQL", EnvPostgresURL)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	tmplOnce.Do(func() { tmplName, tmplErr = ensureTemplate(ctx, admin, base) })
	if tmplErr != nil {
		t.Fatalf("postgres template: %v", tmplErr)
	}
	name := "agentdesk_test_" + randHex(8)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmplName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		if _, err := a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(base, name)
}

// ensureTemplate creates (once per migration set, shared by concurrent
// test processes) a migrated database to copy test databases from.
func ensureTemplate(ctx context.Context, admin *sql.DB, base string) (string, error) {
	dir, err := store.MigrationDir(dialect.Postgres)
	if err != nil {
		return "", err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return "", err
	}
	h := strings.NewReplacer("+", "", "/", "", "=", "").Replace(sum.Sum())
	name := "agentdesk_tmpl_" + strings.ToLower(h[:12])

	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7362542)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(7362542)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)") //nolint:errcheck
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, withDatabase(base, building), store.Options{})
	if err != nil {
		return "", err
	}
	merr := db.Migrate(ctx)
	db.Close()
	if merr != nil {
		return "", merr
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
