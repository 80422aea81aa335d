package report_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/report"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// The benchmark's team: 20 agents with 2,000 customers each, over the
// first quarter of 2026 (with the quarter before it in the database too).
const (
	benchAgents             = 20
	benchCustomersPerAgent  = 2000
	benchInteractionsPerCus = 3 // in the quarter; as many again in the previous one
	benchTasksPerCustomer   = 5
	benchPoliciesPerCus     = 3
)

// BenchmarkKPIs times a team report over a quarter on each database. The
// data (about 800,000 rows) is generated once per database, outside the
// timed loop. Run it with
//
//	go test -run '^$' -bench KPIs -benchtime 20x ./internal/report/
func BenchmarkKPIs(b *testing.B) {
	for _, dial := range []string{"sqlite", "postgres"} {
		b.Run(dial, func(b *testing.B) {
			db := benchDB(b, dial)
			team := generate(b, db)
			q := report.Query{Scope: report.Scope{TeamID: &team}, From: day("2026-01-01"), To: day("2026-03-31"),
				Now: utc("2026-04-01T02:00:00Z")}
			ctx := context.Background()
			for b.Loop() {
				r, err := report.KPIs(ctx, db, q)
				if err != nil {
					b.Fatal(err)
				}
				if r.KPIs[0].Denominator == 0 {
					b.Fatal("no consultations in the report")
				}
			}
		})
	}
}

// benchDB opens a fresh migrated database: an SQLite file, or a PostgreSQL
// database on the test server (skipped without one).
func benchDB(b *testing.B, dial string) *store.DB {
	ctx := context.Background()
	u := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	if dial == "postgres" {
		base := os.Getenv(storetest.EnvPostgresURL)
		if base == "" {
			b.Skipf("%s not set", storetest.EnvPostgresURL)
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		rnd := make([]byte, 6)
		_, _ = rand.Read(rnd)
		name := "agentdesk_bench_" + hex.EncodeToString(rnd)
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			a, err := sql.Open("pgx", base)
			if err != nil {
				return
			}
			defer a.Close()
			_, _ = a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		})
		pu, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		pu.Path = "/" + name
		u = pu.String()
	}
	db, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return db
}

// chunks runs fill for rows [0, n) in transactions of up to 5,000 rows,
// each creating its rows in bulks of up to 500.
func chunks(b *testing.B, db *store.DB, n int, fill func(ctx context.Context, tx *ent.Tx, from, to int) error) {
	ctx := auth.SystemContext(context.Background())
	for start := 0; start < n; start += 5000 {
		end := min(start+5000, n)
		err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			for s := start; s < end; s += 500 {
				if err := fill(ctx, tx, s, min(s+500, end)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// generate loads the benchmark team and returns its ID.
func generate(b *testing.B, db *store.DB) uuid.UUID {
	started := time.Now()
	rng := mrand.New(mrand.NewPCG(1, 2))
	qStart := utc("2025-12-31T16:00:00Z") // 1 January 2026 in Shanghai
	quarter := 90 * 24 * time.Hour
	at := func(base time.Time) time.Time {
		return base.Add(time.Duration(rng.Int64N(int64(quarter)))).Truncate(time.Second)
	}
	cal := quality.NewCalendar(nil)
	var (
		team     uuid.UUID
		agents   = make([]uuid.UUID, benchAgents)
		nCust    = benchAgents * benchCustomersPerAgent
		cust     = make([]uuid.UUID, nCust)
		itemIDs  = make([]uuid.UUID, 20)
		consults []uuid.UUID
	)
	chunks(b, db, 1, func(ctx context.Context, tx *ent.Tx, _, _ int) error {
		team = tx.Team.Create().SetName("bench").SaveX(ctx).ID
		for i := range agents {
			agents[i] = tx.Agent.Create().SetUsername(fmt.Sprintf("agent%02d", i)).SetPasswordHash("x").
				SetTeamID(team).SaveX(ctx).ID
		}
		for i := range itemIDs {
			itemIDs[i] = tx.ToolkitItem.Create().SetKey(fmt.Sprintf("item%02d", i)).SetKind(toolkititem.KindScript).
				SetScenario(toolkititem.ScenarioConsultation).SetTitle("话术").SetStatus(toolkititem.StatusPublished).
				SetRevision(1).SaveX(ctx).ID
		}
		return nil
	})
	chunks(b, db, nCust, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.CustomerCreate, 0, to-from)
		for i := from; i < to; i++ {
			cust[i] = uuid.Must(uuid.NewV7())
			bulk = append(bulk, tx.Customer.Create().SetID(cust[i]).SetName("客户").
				SetAgentID(agents[i%benchAgents]).SetCreatedAt(qStart.Add(-365*24*time.Hour)))
		}
		return tx.Customer.CreateBulk(bulk...).Exec(ctx)
	})
	agentOf := func(c int) uuid.UUID { return agents[c%benchAgents] }
	chunks(b, db, nCust*benchPoliciesPerCus, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.InsurancePolicyCreate, 0, to-from)
		var renewals []*ent.PolicyRenewalCreate
		for i := from; i < to; i++ {
			// Started on any day of 2024 or 2025; renewing yearly, with the
			// renewals recorded: those of 2025 for the policies of 2024, and
			// 80% renewed from 2026 for the coming year.
			id := uuid.Must(uuid.NewV7())
			c := cust[i/benchPoliciesPerCus]
			start := time.Date(2024, 1, 1+rng.IntN(730), 0, 0, 0, 0, time.UTC)
			renewal := time.Date(2026, start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
			renew := func(due time.Time) {
				renewals = append(renewals, tx.PolicyRenewal.Create().SetPolicyID(id).SetCustomerID(c).
					SetDueDate(due).SetRenewedTo(due.AddDate(1, 0, 0)).SetRecordedAt(due))
			}
			if start.Year() == 2024 {
				renew(renewal.AddDate(-1, 0, 0))
			}
			if rng.IntN(10) < 8 {
				renew(renewal)
				renewal = renewal.AddDate(1, 0, 0)
			}
			bulk = append(bulk, tx.InsurancePolicy.Create().SetID(id).SetCustomerID(c).
				SetNumber(fmt.Sprintf("P%08d", i)).SetLine(insurancepolicy.LineHealth).SetPremiumCents(500000).
				SetStartDate(start).
				SetRenewalDate(renewal))
		}
		if err := tx.InsurancePolicy.CreateBulk(bulk...).Exec(ctx); err != nil {
			return err
		}
		return tx.PolicyRenewal.CreateBulk(renewals...).Exec(ctx)
	})
	// Interactions: per customer and quarter, a consultation, its answer
	// and a revisit; half use the toolkit.
	perCus := 2 * benchInteractionsPerCus
	var (
		consult  uuid.UUID // the consultation that the next answer answers
		received time.Time
	)
	chunks(b, db, nCust*perCus, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.InteractionCreate, 0, to-from)
		var uses []*ent.ToolkitUsageCreate
		for i := from; i < to; i++ {
			c := i / perCus
			base := qStart
			if i%perCus >= benchInteractionsPerCus {
				base = qStart.Add(-quarter)
			}
			id := uuid.Must(uuid.NewV7())
			cr := tx.Interaction.Create().SetID(id).SetCustomerID(cust[c]).SetAgentID(agentOf(c)).
				SetChannel(interaction.ChannelWechat).SetContent("客户咨询保单条款与理赔流程")
			var when time.Time
			switch i % benchInteractionsPerCus {
			case 0:
				consult, received = id, at(base)
				when = received
				cr.SetType(interaction.TypeConsultation).SetReceivedAt(received)
				switch r := rng.IntN(10); {
				case r < 3:
					cr.SetFirstResponseAt(received.Add(time.Duration(rng.IntN(300)) * time.Second))
				case r < 9:
					cr.SetFirstResponseAt(received.Add(time.Duration(rng.IntN(20*3600)) * time.Second))
				}
				consults = append(consults, id)
			case 1:
				when = received.Add(time.Hour)
				cr.SetType(interaction.TypeConsultation).SetReceivedAt(when).SetAnswersInteractionID(consult)
			default:
				when = at(base)
				cr.SetType(interaction.TypeRevisit).SetReceivedAt(when)
			}
			if rng.IntN(2) == 0 {
				uses = append(uses, tx.ToolkitUsage.Create().SetItemID(itemIDs[rng.IntN(len(itemIDs))]).
					SetAgentID(agentOf(c)).SetCustomerID(cust[c]).SetInteractionID(id).SetUsedAt(when))
			}
			bulk = append(bulk, cr)
		}
		if err := tx.Interaction.CreateBulk(bulk...).Exec(ctx); err != nil {
			return err
		}
		return tx.ToolkitUsage.CreateBulk(uses...).Exec(ctx)
	})
	chunks(b, db, nCust*benchTasksPerCustomer, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.TaskCreate, 0, to-from)
		for i := from; i < to; i++ {
			c := i / benchTasksPerCustomer
			due := at(qStart)
			cr := tx.Task.Create().SetCustomerID(cust[c]).SetAgentID(agentOf(c)).SetPlanStepID(uuid.New()).
				SetTitle("关键节点").SetDueAt(due)
			if rng.IntN(10) < 9 {
				cr.SetStatus(task.StatusDone).SetCompletedAt(due.Add(time.Duration(rng.IntN(48)-40) * time.Hour))
			}
			bulk = append(bulk, cr)
		}
		return tx.Task.CreateBulk(bulk...).Exec(ctx)
	})
	chunks(b, db, nCust*9/10, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.ServicePlanCreate, 0, to-from)
		for i := from; i < to; i++ {
			bulk = append(bulk, tx.ServicePlan.Create().SetCustomerID(cust[i]).SetCreatedAt(at(qStart.Add(-quarter))))
		}
		return tx.ServicePlan.CreateBulk(bulk...).Exec(ctx)
	})
	chunks(b, db, nCust/20, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.ComplaintCreate, 0, to-from)
		for i := from; i < to; i++ {
			c := i * 20
			recv := at(qStart)
			cr := tx.Complaint.Create().SetCustomerID(cust[c]).SetAgentID(agentOf(c)).SetSummary("理赔慢").
				SetReceivedAt(recv).SetAckDueAt(recv.Add(24 * time.Hour)).
				SetAnswerDueAt(cal.AddWorkingDays(recv, 2)).SetCloseDueAt(cal.AddWorkingDays(recv, 7))
			if rng.IntN(10) < 8 {
				cr.SetStatus(complaint.StatusClosed).SetAcknowledgedAt(recv.Add(time.Duration(rng.IntN(30)) * time.Hour)).
					SetResolvedAt(recv.Add(time.Duration(rng.IntN(96)) * time.Hour)).
					SetClosedAt(recv.Add(time.Duration(96+rng.IntN(200)) * time.Hour))
			}
			bulk = append(bulk, cr)
		}
		return tx.Complaint.CreateBulk(bulk...).Exec(ctx)
	})
	chunks(b, db, nCust/10, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.ClaimCreate, 0, to-from)
		for i := from; i < to; i++ {
			c := i * 10
			filed := at(qStart)
			cr := tx.Claim.Create().SetCustomerID(cust[c]).SetAgentID(agentOf(c)).SetFiledAt(filed).
				SetAcceptDueAt(filed.Add(72 * time.Hour)).SetCloseDueAt(filed.Add(168 * time.Hour))
			if rng.IntN(10) < 8 {
				cr.SetStatus(claim.StatusClosed).SetDecision(claim.DecisionApproved).
					SetAcceptedAt(filed.Add(time.Duration(rng.IntN(96)) * time.Hour)).
					SetPaidAt(filed.Add(time.Duration(96+rng.IntN(200)) * time.Hour)).
					SetClosedAt(filed.Add(300 * time.Hour))
			}
			bulk = append(bulk, cr)
		}
		return tx.Claim.CreateBulk(bulk...).Exec(ctx)
	})
	chunks(b, db, nCust/4, func(ctx context.Context, tx *ent.Tx, from, to int) error {
		bulk := make([]*ent.NpsAnswerCreate, 0, to-from)
		for i := from; i < to; i++ {
			c := i * 4
			bulk = append(bulk, tx.NpsAnswer.Create().SetCustomerID(cust[c]).SetAgentID(agentOf(c)).
				SetScore(rng.IntN(11)).SetAnsweredAt(at(qStart)))
		}
		return tx.NpsAnswer.CreateBulk(bulk...).Exec(ctx)
	})
	// Statistics and visibility as autovacuum would leave them.
	maintenance := "ANALYZE"
	if db.Dialect == "postgres" {
		maintenance = "VACUUM ANALYZE"
	}
	if _, err := db.SQL.ExecContext(context.Background(), maintenance); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d customers, %d consultations in %s", nCust, len(consults), time.Since(started).Round(time.Second))
	return team
}
