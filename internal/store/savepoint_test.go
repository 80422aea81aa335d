package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestWithSavepoint: a savepoint whose fn fails leaves no row and no
// change-log entry, also when a statement failed (which aborts a
// PostgreSQL transaction) and when it changed a record written before it;
// a released one commits with the transaction, and nested ones behave
// the same.
func TestWithSavepoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var commits [][]store.Change
		defer db.Subscribe(func(c []store.Change) { commits = append(commits, c) })()
		boom := errors.New("boom")
		var kept, released, after, nestedOuter *ent.Customer
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) (err error) {
			if kept, err = tx.Customer.Create().SetName("保留").Save(ctx); err != nil {
				return err
			}
			// Fails after writing: a new record, and a second version of
			// one written before the savepoint.
			err = db.WithSavepoint(ctx, func(ctx context.Context, tx *ent.Tx) error {
				if err := tx.Customer.Create().SetName("回滚").Exec(ctx); err != nil {
					return err
				}
				if err := tx.Customer.UpdateOneID(kept.ID).SetOccupation("教师").Exec(ctx); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return fmt.Errorf("failed savepoint: %v, want boom", err)
			}
			if released, err = savepointCreate(ctx, db, "释放"); err != nil {
				return err
			}
			// A failed statement: the second agent of the same username.
			if err := tx.Agent.Create().SetUsername("dup").SetPasswordHash("!").Exec(ctx); err != nil {
				return err
			}
			err = db.WithSavepoint(ctx, func(ctx context.Context, tx *ent.Tx) error {
				if err := tx.Customer.Create().SetName("失败语句").Exec(ctx); err != nil {
					return err
				}
				return tx.Agent.Create().SetUsername("dup").SetPasswordHash("!").Exec(ctx)
			})
			if !ent.IsConstraintError(err) {
				return fmt.Errorf("savepoint with a duplicate: %v, want a constraint error", err)
			}
			// Nested: the outer one stays, the inner one rolls back.
			err = db.WithSavepoint(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
				if nestedOuter, err = tx.Customer.Create().SetName("外层").Save(ctx); err != nil {
					return err
				}
				ierr := db.WithSavepoint(ctx, func(ctx context.Context, tx *ent.Tx) error {
					if err := tx.Customer.Create().SetName("内层").Exec(ctx); err != nil {
						return err
					}
					if err := tx.Customer.UpdateOneID(nestedOuter.ID).SetOccupation("医生").Exec(ctx); err != nil {
						return err
					}
					return boom
				})
				if !errors.Is(ierr, boom) {
					return fmt.Errorf("inner savepoint: %v, want boom", ierr)
				}
				return nil
			})
			if err != nil {
				return err
			}
			// The transaction goes on after all of that.
			after, err = tx.Customer.Create().SetName("之后").Save(ctx)
			return err
		})

		names := db.Client.Customer.Query().Order(ent.Asc(customer.FieldName)).Select(customer.FieldName).StringsX(sys())
		if diff := cmp.Diff([]string{"之后", "保留", "外层", "释放"}, names); diff != "" {
			t.Errorf("customers (-want +got):\n%s", diff)
		}
		for _, c := range []*ent.Customer{kept, nestedOuter} {
			got := db.Client.Customer.GetX(sys(), c.ID)
			if got.Version != 1 || got.Occupation != "" || len(got.FieldVersions) != 0 {
				t.Errorf("%s after a rolled-back update: version %d, occupation %q, field versions %v",
					got.Name, got.Version, got.Occupation, got.FieldVersions)
			}
		}
		want := []logEntry{
			{store.Customers, kept.ID, changelog.OpUpsert, 1, kept.ID},
			{store.Customers, released.ID, changelog.OpUpsert, 1, released.ID},
			{store.Customers, nestedOuter.ID, changelog.OpUpsert, 1, nestedOuter.ID},
			{store.Customers, after.ID, changelog.OpUpsert, 1, after.ID},
		}
		if diff := cmp.Diff(want, readLog(t, db, 0)); diff != "" {
			t.Errorf("change log (-want +got):\n%s", diff)
		}
		if len(commits) != 1 || len(commits[0]) != len(want) {
			t.Errorf("announced %v, want one commit of %d changes", commits, len(want))
		}
	})
}

func savepointCreate(ctx context.Context, db *store.DB, name string) (c *ent.Customer, err error) {
	err = db.WithSavepoint(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
		c, err = tx.Customer.Create().SetName(name).Save(ctx)
		return err
	})
	return c, err
}

// A released savepoint's writes roll back with their transaction, and a
// savepoint needs a transaction.
func TestWithSavepointRollsBackWithTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("boom")
		err := db.WithTx(sys(), func(ctx context.Context, tx *ent.Tx) error {
			if _, err := savepointCreate(ctx, db, "释放"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx: %v, want boom", err)
		}
		if n := db.Client.Customer.Query().CountX(sys()); n != 0 {
			t.Errorf("%d customers after the transaction rolled back", n)
		}
		if got := readLog(t, db, 0); len(got) != 0 {
			t.Errorf("change log after the transaction rolled back: %v", got)
		}
		err = db.WithSavepoint(sys(), func(ctx context.Context, tx *ent.Tx) error { return nil })
		if !errors.Is(err, store.ErrOutsideTx) {
			t.Errorf("WithSavepoint outside a transaction: %v, want ErrOutsideTx", err)
		}
	})
}

// IsRetryable knows a lock timeout, a deadlock and a serialization
// failure on PostgreSQL, and a busy database on SQLite, from the real
// errors where a test can provoke them.
func TestIsRetryable(t *testing.T) {
	for _, code := range []string{"40001", "40P01", "55P03"} {
		if !store.IsRetryable(fmt.Errorf("commit: %w", &pgconn.PgError{Code: code})) {
			t.Errorf("SQLSTATE %s is not retryable", code)
		}
	}
	if store.IsRetryable(&pgconn.PgError{Code: "23505"}) || store.IsRetryable(errors.New("boom")) || store.IsRetryable(nil) {
		t.Error("a unique violation, a plain error or nil is retryable")
	}

	t.Run("postgres", func(t *testing.T) {
		db := storetest.Postgres(t, storetest.Options{})
		var c *ent.Customer
		mustTx(t, db, func(ctx context.Context, tx *ent.Tx) (err error) {
			c, err = tx.Customer.Create().SetName("王芳").Save(ctx)
			return err
		})
		locked, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- db.WithTx(sys(), func(ctx context.Context, tx *ent.Tx) error {
				if _, err := tx.Customer.Query().Where(customer.ID(c.ID)).ForUpdate().Only(ctx); err != nil {
					return err
				}
				close(locked)
				<-release
				return nil
			})
		}()
		<-locked
		err := db.WithTx(sys(), func(ctx context.Context, tx *ent.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '50ms'"); err != nil {
				return err
			}
			return tx.Customer.UpdateOneID(c.ID).SetOccupation("教师").Exec(ctx)
		})
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !store.IsRetryable(err) {
			t.Errorf("lock timeout %v is not retryable", err)
		}
	})

	t.Run("sqlite", func(t *testing.T) {
		u := storetest.URL(t, dialect.SQLite)
		db, err := store.Open(context.Background(), u, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// A second handle that waits for no lock.
		other, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(u, "sqlite:")+"?_pragma=busy_timeout(0)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			// Take the write lock, then try a second writer.
			if _, err := tx.ExecContext(ctx, "CREATE TABLE busy_probe (id TEXT)"); err != nil {
				return err
			}
			otx, err := other.BeginTx(ctx, nil)
			if err == nil {
				otx.Rollback()
				return errors.New("a second writer began while the first held the lock")
			}
			if !store.IsRetryable(err) {
				return fmt.Errorf("busy database %v (%T) is not retryable", err, errors.Unwrap(err))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
