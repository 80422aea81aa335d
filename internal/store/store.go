// Package store opens AgentDesk's database (embedded SQLite by default,
// PostgreSQL for scale-out), applies the versioned migrations, and owns the
// one write path of synced records: WithTx, whose transactions append every
// change to the commit-ordered change log.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"modernc.org/sqlite"

	"github.com/agentdesk/agentdesk/ent"
	_ "github.com/agentdesk/agentdesk/ent/runtime" // schema defaults, hooks and the access policies
	"github.com/agentdesk/agentdesk/internal/clock"
)

var registerSQLite3 sync.Once

// DB is an open database: the ent client, the SQL handle beneath it and
// which dialect it speaks.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	clock   clock.Clock

	listeners  registry[Listener]
	preCommits registry[PreCommit]
}

// Options tune Open.
type Options struct {
	// Clock stamps change-log entries; the system clock when nil.
	Clock clock.Clock
	// MaxOpenConns caps the pool (0: the driver's default for PostgreSQL,
	// 8 for SQLite).
	MaxOpenConns int
	// BulkLoad tunes the connections for loading a fresh database in bulk,
	// at the price of durability: commits do not wait for the disk
	// (SQLite synchronous=OFF, PostgreSQL synchronous_commit=off), and
	// SQLite keeps its statement journals in memory and gives each
	// connection a BulkCacheKiB page cache. A crash may lose the last
	// commits (SQLite: or corrupt the file); load again into a fresh one.
	// PostgreSQL plans each statement for its parameters
	// (plan_cache_mode=force_custom_plan): the foreign-key checks of
	// tables that start empty and grow through the load (service plans
	// under their steps) otherwise keep the plan made when the table was
	// a page, a sequential scan per inserted row — the recompute of 10
	// fresh books took 56–63 s instead of 30 s.
	// Not for a server.
	BulkLoad bool
}

// BulkCacheKiB is each SQLite connection's page cache under
// Options.BulkLoad: a bulk load inserts into every index of its tables,
// whose pages a smaller cache re-reads from the OS all the time.
const BulkCacheKiB = 1 << 20

// DefaultURL is the database used when DATABASE_URL is empty: SQLite in
// the data directory.
func DefaultURL(dataDir string) string {
	return "sqlite:" + filepath.Join(dataDir, "agentdesk.db")
}

// Redact returns the URL with any password replaced, for logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Open connects to the database that rawURL names: postgres:// or
// postgresql:// for PostgreSQL, sqlite:PATH for an SQLite file (created
// with its directory when missing). It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	var (
		db   *sql.DB
		dial string
		err  error
	)
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		dial = dialect.Postgres
		u := rawURL
		if opts.BulkLoad {
			u = appendQuery(appendQuery(u, "synchronous_commit=off"), "plan_cache_mode=force_custom_plan")
		}
		db, err = sql.Open("pgx", u)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		if opts.MaxOpenConns > 0 {
			db.SetMaxOpenConns(opts.MaxOpenConns)
		}
		db.SetMaxIdleConns(10)
		db.SetConnMaxIdleTime(5 * time.Minute)
	case strings.HasPrefix(rawURL, "sqlite:"):
		dial = dialect.SQLite
		dsn, derr := sqliteDSN(strings.TrimPrefix(rawURL, "sqlite:"), opts.BulkLoad)
		if derr != nil {
			return nil, derr
		}
		registerSQLite3.Do(func() { sql.Register("sqlite3", &sqlite.Driver{}) })
		db, err = sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		n := opts.MaxOpenConns
		if n <= 0 {
			n = 8
		}
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	default:
		return nil, fmt.Errorf("unsupported DATABASE_URL scheme in %q: want postgres:// or sqlite:", Redact(rawURL))
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dial, err)
	}
	s := &DB{SQL: db, Dialect: dial, clock: opts.Clock}
	s.Client = ent.NewClient(ent.Driver(entsql.OpenDB(dial, db)))
	s.Client.Use(changeHook)
	return s, nil
}

// SQLiteCacheKiB is each SQLite connection's page cache. SQLite's
// default (2 MB) holds a fraction of a book's index pages: a first sync
// of a 2,000-customer book then spent most of its time re-reading pages
// through pread.
const SQLiteCacheKiB = 32 << 10

// sqliteDSN builds the modernc DSN for a file path (or ":memory:" and
// "file:…" forms used by tests): foreign keys on, WAL, immediate write
// transactions, a 32 MB page cache, and times in SQLite's own format; bulk
// tunes it for Options.BulkLoad.
func sqliteDSN(path string, bulk bool) (string, error) {
	sync, cache := "NORMAL", SQLiteCacheKiB
	if bulk {
		sync, cache = "OFF", BulkCacheKiB
	}
	pragmas := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sync + ")&_pragma=cache_size(-" + strconv.Itoa(cache) + ")" +
		"&_txlock=immediate&_time_format=sqlite"
	if bulk {
		pragmas += "&_pragma=temp_store(MEMORY)"
	}
	if path == "" {
		return "", errors.New("sqlite: empty path in DATABASE_URL")
	}
	if strings.HasPrefix(path, "file:") {
		return appendQuery(path, pragmas), nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("create data directory: %w", err)
		}
	}
	return "file:" + path + "?" + pragmas, nil
}

// appendQuery adds query (k=v&…) to a URL's query.
func appendQuery(rawURL, query string) string {
	if strings.Contains(rawURL, "?") {
		return rawURL + "&" + query
	}
	return rawURL + "?" + query
}

// Ping reports whether the database answers.
func (s *DB) Ping(ctx context.Context) error { return s.SQL.PingContext(ctx) }

// Now is the store's clock.
func (s *DB) Now() time.Time { return s.clock.Now() }

// Close closes the client and its pool.
func (s *DB) Close() error { return s.Client.Close() }
