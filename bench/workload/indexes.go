package workload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/internal/store"
)

// bulkTables are the tables the books fill: their secondary indexes are
// built after the rows.
var bulkTables = []string{"customers", "policies", "interactions", "tasks", "change_logs"}

// index is a secondary index as the schema defines it.
type index struct{ name, create string }

// withoutIndexes runs fn with the non-unique secondary indexes of tables
// dropped, then creates them again with the statements that made them:
// building an index from the loaded rows is one sort, where inserting
// every row into it is a random B-tree descent per row (which, once the
// index outgrows the cache, reads a page from disk). Unique indexes stay,
// so that the rows are checked as they arrive. The indexes are rebuilt
// also when fn fails, so the schema stays whole.
func withoutIndexes(ctx context.Context, db *store.DB, log *slog.Logger, tables []string, fn func() error) (err error) {
	idx, err := secondaryIndexes(ctx, db, tables)
	if err != nil {
		return err
	}
	for _, ix := range idx {
		if _, err := db.SQL.ExecContext(ctx, `DROP INDEX "`+ix.name+`"`); err != nil {
			return errors.Join(fmt.Errorf("drop index %s: %w", ix.name, err), createIndexes(context.WithoutCancel(ctx), db, log, idx))
		}
	}
	err = fn()
	if cerr := createIndexes(context.WithoutCancel(ctx), db, log, idx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// secondaryIndexes lists the non-unique indexes of tables.
func secondaryIndexes(ctx context.Context, db *store.DB, tables []string) ([]index, error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('` + strings.Join(tables, "','") + `') ORDER BY name`
	if db.Dialect == dialect.Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
			AND tablename IN ('` + strings.Join(tables, "','") + `') ORDER BY indexname`
	}
	rows, err := db.SQL.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.create); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(strings.ToUpper(ix.create), "CREATE UNIQUE") {
			out = append(out, ix)
		}
	}
	return out, rows.Err()
}

// createIndexes creates the dropped indexes again (those that exist
// already are left alone), on PostgreSQL with 1 GB of maintenance memory
// for the sorts, on SQLite with a helper thread for them.
func createIndexes(ctx context.Context, db *store.DB, log *slog.Logger, idx []index) error {
	start := time.Now()
	conn, err := db.SQL.Conn(ctx) // a SET holds for its connection
	if err != nil {
		return err
	}
	defer conn.Close()
	setup := "PRAGMA threads = 2" // SQLite's sorter may use a second core
	if db.Dialect == dialect.Postgres {
		setup = "SET maintenance_work_mem = '1GB'"
	}
	if _, err := conn.ExecContext(ctx, setup); err != nil {
		return err
	}
	var errs []error
	for _, ix := range idx {
		create := ix.create
		if i := len("CREATE INDEX "); strings.HasPrefix(strings.ToUpper(create), "CREATE INDEX ") {
			create = create[:i] + "IF NOT EXISTS " + create[i:]
		}
		if _, err := conn.ExecContext(ctx, create); err != nil {
			errs = append(errs, fmt.Errorf("create index %s: %w", ix.name, err))
		}
	}
	log.Info("indexes built", "indexes", len(idx), "took", time.Since(start).Round(time.Millisecond).String())
	return errors.Join(errs...)
}
