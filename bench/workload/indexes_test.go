package workload

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func allIndexes(t *testing.T, db *store.DB) []index {
	t.Helper()
	ix, err := secondaryIndexes(context.Background(), db, bulkTables)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// A bulk load (BulkLoad connections, indexes built after the rows) leaves
// the schema the migrations made: the same indexes, by the same
// statements; a failing load rebuilds them too. Every row arrives, also
// in transactions of a few rows written two at a time.
func TestLoadKeepsTheIndexes(t *testing.T) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dial, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.URL(t, dial), store.Options{BulkLoad: true, MaxOpenConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			want := allIndexes(t, db)
			if len(want) < 10 {
				t.Fatalf("only %d secondary indexes on %v", len(want), bulkTables)
			}
			boom := errors.New("boom")
			err = withoutIndexes(ctx, db, slog.New(slog.DiscardHandler), bulkTables, func() error {
				if got := allIndexes(t, db); len(got) != 0 {
					t.Errorf("%d indexes left during the load", len(got))
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want the load's", err)
			}
			if got := allIndexes(t, db); !slices.Equal(got, want) {
				t.Fatalf("after a failed load: %v, want %v", got, want)
			}
			p, err := pii.ParseKeyring(pii.NewKey())
			if err != nil {
				t.Fatal(err)
			}
			// Small transactions: PostgreSQL's two writers take turns.
			sum, err := Load(ctx, db, p, Options{Dir: "../testdata/tiny", Accounts: 3, ToolkitItems: 40, Recompute: true,
				TxRows: 7, TxCustomers: 4})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Customers != 21 || sum.Interactions != 500+LargeInteractions || sum.Tasks != 100 || sum.Plans != 21 || sum.Portraits != 21 {
				t.Errorf("summary %+v", sum)
			}
			if got := allIndexes(t, db); !slices.Equal(got, want) {
				t.Errorf("after the load: %v, want %v", got, want)
			}
		})
	}
}
