package syncer

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// eachDB runs a benchmark on SQLite and, when AGENTDESK_TEST_POSTGRES_URL
// names a server, on PostgreSQL: BenchmarkX/sqlite and BenchmarkX/postgres.
func eachDB(b *testing.B, fn func(b *testing.B, dial string)) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[dial], func(b *testing.B) {
			if dial == dialect.Postgres && os.Getenv(storetest.EnvPostgresURL) == "" {
				b.Skip("set " + storetest.EnvPostgresURL + " to benchmark PostgreSQL")
			}
			fn(b, dial)
		})
	}
}

// benchBook is an agent's book on the dialect's database: customers with a
// portrait, a policy, a plan, a task, a complaint and interactions of a
// few hundred characters each (the shape of DESIGN.md's reference
// workload, smaller).
func benchBook(b *testing.B, dial string, customers, interactions int) (*env, *ent.Agent) {
	b.Helper()
	clk := clock.NewFake(testStart)
	var db *store.DB
	if dial == dialect.Postgres {
		db = storetest.Postgres(b, storetest.Options{Clock: clk})
	} else {
		db = storetest.SQLite(b, storetest.Options{Clock: clk})
	}
	v := newEnv(b, db, clk, Options{})
	a := v.agent(auth.RoleAgent, nil)
	text := strings.Repeat("客户来电咨询重疾险等待期与既往症告知，已按话术卡逐条解释并约定下周上门回访。", 6)
	for range customers {
		c, _ := v.family(a)
		v.tx(func(ctx context.Context, tx *ent.Tx) error {
			builders := make([]*ent.InteractionCreate, 0, interactions)
			for range interactions {
				builders = append(builders, tx.Interaction.Create().SetCustomerID(c.ID).SetChannel("phone").
					SetType("consultation").SetContent(text).SetReceivedAt(clk.Now()))
			}
			return tx.Interaction.CreateBulk(builders...).Exec(ctx)
		})
	}
	return v, a
}

// BenchmarkPullPage assembles first-sync pages of up to 500 changes
// (records read through the access rules, personal data decrypted,
// rendered, framed) and reports their JSON bytes.
func BenchmarkPullPage(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 100, 10)
		ctx := v.as(a)
		var bytes int
		b.ResetTimer()
		for b.Loop() {
			cur := ""
			for {
				p, err := v.e.Pull(ctx, PullRequest{Cursor: cur, Limit: 500})
				if err != nil {
					b.Fatal(err)
				}
				body, _ := p.MarshalJSON()
				bytes += len(body)
				cur = p.Cursor
				if !p.HasMore {
					break
				}
			}
		}
		b.ReportMetric(float64(bytes)/float64(b.N), "bytes/snapshot")
	})
}

// BenchmarkPullNoChange is the pull of a client that is up to date.
func BenchmarkPullNoChange(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 20, 2)
		d := v.device(a)
		d.pull(MaxLimit)
		var size int
		b.ResetTimer()
		for b.Loop() {
			p, err := v.e.Pull(d.ctx, PullRequest{Cursor: d.cursor})
			if err != nil {
				b.Fatal(err)
			}
			body, _ := p.MarshalJSON()
			size = len(body)
		}
		b.ReportMetric(float64(size), "bytes/page")
	})
}

// BenchmarkPullIncremental pulls after 1% of a book changed.
func BenchmarkPullIncremental(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 100, 5)
		d := v.device(a)
		d.pull(MaxLimit)
		tasks := v.db.Client.Task.Query().IDsX(v.sys())
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Task.UpdateOneID(tasks[i%len(tasks)]).SetTitle(fmt.Sprintf("回访%d", i)).Exec(ctx)
			})
			b.StartTimer()
			d.pull(MaxLimit)
		}
	})
}

// BenchmarkChangeLogAppend commits a transaction of one change: the
// record's write, its version and field versions, and its log entry drawn
// under the commit lock.
func BenchmarkChangeLogAppend(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 1, 0)
		c := v.customer(a)
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			err := v.db.WithTx(v.sys(), func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(c.ID).SetOccupation(fmt.Sprintf("职业%d", i)).Exec(ctx)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConflictMerge pushes changes made on an old version of a
// customer whose fields changed on the server meanwhile: the per-field
// merge, the conflict report, personal data encrypted, the stored result.
func BenchmarkConflictMerge(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 1, 0)
		c := v.customer(a)
		ctx := v.as(a)
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			v.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(c.ID).SetOccupation(fmt.Sprintf("服务器%d", i)).Exec(ctx)
			})
			b.StartTimer()
			res, err := v.e.Push(ctx, PushRequest{DeviceID: uuid.Nil, Mutations: []Mutation{{MutationID: uuid.NewString(),
				Collection: store.Customers, Op: OpUpsert, ID: c.ID, BaseVersion: 1,
				Data: data("occupation", fmt.Sprintf("手机%d", i), "phone", "13800001111", "tags", []string{"a"})}}})
			if err != nil || res.Results[0].Status != StatusConflict {
				b.Fatalf("push: %v %+v", err, res)
			}
		}
	})
}

// BenchmarkPush100 pushes a batch of 100 mutations (task updates and new
// interactions): one transaction, with a savepoint and a stored result
// per mutation.
func BenchmarkPush100(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 50, 0)
		ctx := v.as(a)
		tasks := v.db.Client.Task.Query().AllX(v.sys())
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			ms := make([]Mutation, 0, 100)
			for j := range 50 {
				tk := tasks[j]
				ms = append(ms, Mutation{MutationID: uuid.NewString(), Collection: store.Tasks, Op: OpUpsert, ID: tk.ID,
					BaseVersion: tk.Version, Data: data("title", fmt.Sprintf("回访%d", i))})
				ms = append(ms, Mutation{MutationID: uuid.NewString(), Collection: store.Interactions, Op: OpUpsert,
					ID: uuid.Must(uuid.NewV7()), Data: data("customer_id", tk.CustomerID, "channel", "visit", "type", "revisit",
						"content", "上门回访，讲解保单条款。")})
			}
			res, err := v.e.Push(ctx, PushRequest{Mutations: ms})
			if err != nil {
				b.Fatal(err)
			}
			for j, r := range res.Results {
				if r.Status == StatusRejected || r.Status == StatusGone {
					b.Fatalf("mutation %d: %+v", j, r)
				}
			}
			b.StopTimer()
			tasks = v.db.Client.Task.Query().AllX(v.sys())
			b.StartTimer()
		}
	})
}

// BenchmarkRecordChecksum is the per-record term of the sync checksum:
// SHA-256 of "<id>:<version>", its first 8 bytes.
func BenchmarkRecordChecksum(b *testing.B) {
	id := uuid.Must(uuid.NewV7())
	var sum uint64
	for i := 0; b.Loop(); i++ {
		sum += RecordChecksum(id, int64(i))
	}
	_ = sum
}

// BenchmarkChecksum answers GET /v1/sync/checksum for a device that is up
// to date with a book of 200 customers (about 2,000 records in scope):
// every record of the scope read and hashed.
func BenchmarkChecksum(b *testing.B) {
	eachDB(b, func(b *testing.B, dial string) {
		v, a := benchBook(b, dial, 200, 3)
		d := v.device(a)
		d.pull(MaxLimit)
		var records int64
		b.ResetTimer()
		for b.Loop() {
			rep, err := v.e.Checksum(d.ctx, d.cursor)
			if err != nil {
				b.Fatal(err)
			}
			records = 0
			for _, c := range rep.Collections {
				records += c.Count
			}
		}
		b.ReportMetric(float64(records), "records")
	})
}
