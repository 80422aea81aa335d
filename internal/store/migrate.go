package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

// Migrations holds the versioned migrations of both dialects, generated
// from the ent schema by ./internal/store/migrategen and never edited by
// hand once released.
//
//go:embed migrations
var Migrations embed.FS

// migrateLock serializes migrating replicas on PostgreSQL.
const migrateLock = 0x6167656e746d67 // "agentmg"

// MigrationDir returns the migration directory of a dialect, with its
// atlas.sum integrity file checked.
func MigrationDir(dial string) (migrate.Dir, error) {
	sub := "sqlite"
	if dial == dialect.Postgres {
		sub = "postgres"
	}
	root := path.Join("migrations", sub)
	entries, err := fs.ReadDir(Migrations, root)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(Migrations, path.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", sub, err)
	}
	return dir, nil
}

// Migrate applies the migrations that the database lacks, each in its own
// transaction, and records them in schema_migrations. Several replicas may
// call it at once.
func (s *DB) Migrate(ctx context.Context) error {
	dir, err := MigrationDir(s.Dialect)
	if err != nil {
		return err
	}
	files, err := dir.Files()
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Version() < files[j].Version() })

	conn, err := s.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.Dialect == dialect.Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLock)) //nolint:errcheck // released with the session anyway
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version VARCHAR(64) PRIMARY KEY,
		description VARCHAR(255) NOT NULL,
		applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[string]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range files {
		if applied[f.Version()] {
			continue
		}
		if err := s.applyMigration(ctx, conn, f); err != nil {
			return fmt.Errorf("migration %s: %w", f.Name(), err)
		}
	}
	return nil
}

func (s *DB) applyMigration(ctx context.Context, conn *sql.Conn, f migrate.File) error {
	stmts, err := f.Stmts()
	if err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, stmt := range stmts {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return errors.Join(err, tx.Rollback())
		}
	}
	insert := "INSERT INTO schema_migrations (version, description) VALUES (?, ?)"
	if s.Dialect == dialect.Postgres {
		insert = "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)"
	}
	if _, err := tx.ExecContext(ctx, insert, f.Version(), f.Desc()); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// MigrationVersion returns the newest applied migration, "" when none.
func (s *DB) MigrationVersion(ctx context.Context) (string, error) {
	var v sql.NullString
	err := s.SQL.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v)
	return v.String, err
}
