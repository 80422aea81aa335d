// Command migrategen writes a new versioned migration for both dialects
// from the difference between the ent schema and the migrations so far.
//
//	go run ./internal/store/migrategen -name add_something
//
// After merging branches that each added a migration, -hash rewrites the
// atlas.sum files of both dialects (the migrations themselves merge as
// separate files):
//
//	go run ./internal/store/migrategen -hash
//
// PostgreSQL needs a server to replay the existing migrations on: a scratch
// database is created through -pg (default: the local server) and dropped.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	"github.com/agentdesk/agentdesk/ent/migrate"
)

func main() {
	name := flag.String("name", "", "migration name (required)")
	pg := flag.String("pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server for the scratch database")
	root := flag.String("dir", "internal/store/migrations", "migrations directory")
	hash := flag.Bool("hash", false, "only rewrite the atlas.sum files")
	flag.Parse()
	if *hash {
		for _, d := range []string{"sqlite", "postgres"} {
			if err := rehash(*root + "/" + d); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	if *name == "" {
		log.Fatal("-name is required")
	}
	if err := run(context.Background(), *name, *pg, *root); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, name, pgURL, root string) error {
	sql.Register("sqlite3", &sqlite.Driver{})
	sql.Register("postgres", stdlib.GetDefaultDriver()) // the name Atlas opens
	if err := diff(ctx, root+"/sqlite", "sqlite://dev?mode=memory&_pragma=foreign_keys(1)", dialect.SQLite, name); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	scratch := fmt.Sprintf("agentdesk_migrategen_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+scratch); err != nil {
		return fmt.Errorf("create scratch database: %w", err)
	}
	defer admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+scratch+" WITH (FORCE)") //nolint:errcheck
	u, err := url.Parse(pgURL)
	if err != nil {
		return err
	}
	u.Path = "/" + scratch
	devURL := strings.Replace(u.String(), "postgresql://", "postgres://", 1)
	if err := diff(ctx, root+"/postgres", devURL, dialect.Postgres, name); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// rehash rewrites the atlas.sum of a migrations directory.
func rehash(path string) error {
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atlas.WriteSumFile(dir, sum)
}

func diff(ctx context.Context, path, devURL, dial, name string) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return err
	}
	return migrate.NamedDiff(ctx, devURL, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dial),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
}
