package syncer

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// stream runs Stream for ctx and delivers the event names it writes.
func stream(t *testing.T, e *Engine, ctx context.Context) (events <-chan string, done <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	evs, fin := make(chan string, 100), make(chan error, 1)
	go func() {
		err := e.Stream(ctx, pw, func() {})
		pw.Close()
		fin <- err
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				evs <- name
			}
		}
		close(evs)
	}()
	return evs, fin
}

func expect(t *testing.T, evs <-chan string, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("stream ended, want %s", want)
			}
			if ev == want {
				return
			}
			if ev != EventHeartbeat {
				t.Fatalf("event %s, want %s", ev, want)
			}
		case <-deadline:
			t.Fatalf("no %s within %v", want, within)
		}
	}
}

func quiet(t *testing.T, evs <-chan string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-evs:
			if ev != EventHeartbeat {
				t.Fatalf("unexpected %s", ev)
			}
		case <-deadline:
			return
		}
	}
}

// The stream pokes a client when its scope changes, whichever process
// committed the change, and only then; it beats, resets after a restore
// and ends when the server shuts down.
func TestStream(t *testing.T) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dial, func(t *testing.T) {
			u := storetest.URL(t, dial)
			clk := clock.NewFake(testStart)
			open := func() *store.DB {
				db, err := store.Open(context.Background(), u, store.Options{Clock: clk})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			v := newEnv(t, open(), clk, Options{PollEvery: 50 * time.Millisecond, Heartbeat: 300 * time.Millisecond})
			replica := newEnv(t, open(), clk, Options{})
			a := v.agent(auth.RoleAgent, nil)
			other := v.agent(auth.RoleAgent, nil)
			c := v.customer(a)
			oc := v.customer(other)

			ctx, cancel := context.WithCancel(v.as(a))
			defer cancel()
			evs, done := stream(t, v.e, ctx)
			expect(t, evs, EventHeartbeat, time.Second)

			replica.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(oc.ID).SetOccupation("医生").Exec(ctx)
			})
			quiet(t, evs, 400*time.Millisecond)

			// A change in the scope, by this process and by another one.
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(c.ID).SetOccupation("教师").Exec(ctx)
			})
			expect(t, evs, EventChanged, 2*time.Second)
			replica.tx(func(ctx context.Context, tx *ent.Tx) error {
				_, err := tx.Task.Create().SetCustomerID(c.ID).SetTitle("回访").Save(ctx)
				return err
			})
			expect(t, evs, EventChanged, 3*time.Second)
			// A customer moved into the book counts, and so do its records.
			v.reassign(oc.ID, a)
			expect(t, evs, EventChanged, 3*time.Second)
			replica.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(oc.ID).SetOccupation("律师").Exec(ctx)
			})
			expect(t, evs, EventChanged, 3*time.Second)
			expect(t, evs, EventHeartbeat, time.Second)

			// A restored database: reset, and the stream ends.
			if _, err := replica.e.RotateEra(context.Background()); err != nil {
				t.Fatal(err)
			}
			expect(t, evs, EventReset, 3*time.Second)
			if err := <-done; err != nil {
				t.Fatal(err)
			}

			// Shutting down ends the streams.
			evs, done = stream(t, v.e, v.as(a))
			expect(t, evs, EventHeartbeat, time.Second)
			v.e.Close()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("the stream outlived the engine")
			}
		})
	}
}
