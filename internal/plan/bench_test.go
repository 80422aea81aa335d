package plan_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

var lineNames = []insurancepolicy.Line{"life", "health", "critical_illness", "accident", "property", "auto", "annuity"}

// bigCustomer is a customer with 50 policies, 500 interactions, 5
// complaints and 10 claims, as plan and portrait inputs.
func bigCustomer(now time.Time) *portrait.Inputs {
	r := mrand.New(mrand.NewPCG(1, 2))
	in := customerOnly(day(2015, 1, 1))
	in.Customer.BirthDate = ptr(day(1980, 3, 25))
	in.Customer.Tags = []string{"高净值", "续保"}
	for i := range 50 {
		start := day(2015+r.IntN(11), time.Month(1+r.IntN(12)), 1+r.IntN(28))
		due := now.AddDate(0, 0, r.IntN(60)-10).Truncate(24 * time.Hour)
		in.Policies = append(in.Policies, &ent.InsurancePolicy{ID: uuid.New(), Number: fmt.Sprintf("P%08d", i),
			ProductName: "产品", Line: lineNames[i%len(lineNames)], Status: insurancepolicy.StatusActive,
			PaymentFrequency: insurancepolicy.PaymentFrequencyAnnual, StartDate: start, Currency: "CNY",
			PremiumCents: int64(100000 + r.IntN(900000)), NextPremiumDueDate: &due, RenewalDate: ptr(due.AddDate(0, 0, 20))})
	}
	text := strings.Repeat("客户咨询续期缴费与理赔材料，", 20)
	for range 500 {
		in.Interactions = append(in.Interactions, &ent.Interaction{ID: uuid.New(), Channel: interaction.ChannelPhone,
			Type: interaction.TypeConsultation, Content: text, ReceivedAt: now.Add(-time.Duration(r.IntN(3*365*24)) * time.Hour)})
	}
	for range 5 {
		at := now.Add(-time.Duration(r.IntN(400*24)) * time.Hour)
		in.Complaints = append(in.Complaints, &ent.Complaint{ID: uuid.New(), Category: complaint.CategoryClaimTimeliness,
			Status: complaint.StatusInvestigating, Summary: "理赔慢", ReceivedAt: at, AckDueAt: at, AnswerDueAt: at, CloseDueAt: at})
	}
	for range 10 {
		in.Claims = append(in.Claims, &ent.Claim{ID: uuid.New(), Status: "paid", FiledAt: now.AddDate(-r.IntN(8), 0, 0), AmountPaidCents: 100000})
	}
	return in
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkPlanAndPortrait computes the portrait and the plan of a customer
// with 50 policies and 500 interactions (pure computation).
func BenchmarkPlanAndPortrait(b *testing.B) {
	now := noon(2026, 3, 18, "Asia/Shanghai")
	in := bigCustomer(now)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	rules := builtinRules()
	d := make([]time.Duration, 0, b.N)
	steps := 0
	for b.Loop() {
		start := time.Now()
		p := portrait.Compute(in, now, loc)
		steps = len(plan.Evaluate(rules, in, p, nil, now, loc))
		d = append(d, time.Since(start))
	}
	b.ReportMetric(float64(steps), "steps")
	reportPercentiles(b, d)
}

// benchDB opens a fresh migrated database of the dialect for a benchmark.
func benchDB(b *testing.B, dial string, clk clock.Clock) *store.DB {
	b.Helper()
	ctx := context.Background()
	u := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	if dial == dialect.Postgres {
		base := os.Getenv(storetest.EnvPostgresURL)
		if base == "" {
			b.Skip(storetest.EnvPostgresURL + " not set")
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		raw := make([]byte, 6)
		_, _ = rand.Read(raw)
		name := "agentdesk_bench_" + hex.EncodeToString(raw)
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		})
		pu, _ := url.Parse(base)
		pu.Path = "/" + name
		u = pu.String()
	}
	db, err := store.Open(ctx, u, store.Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return db
}

// seedBig stores bigCustomer.
func seedBig(b *testing.B, db *store.DB, now time.Time) uuid.UUID {
	b.Helper()
	in := bigCustomer(now)
	ctx := auth.SystemContext(context.Background())
	err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cu, err := tx.Customer.Create().SetName("王芳").SetBirthDate(*in.Customer.BirthDate).SetTags(in.Customer.Tags).
			SetCreatedAt(in.Customer.CreatedAt).Save(ctx)
		if err != nil {
			return err
		}
		in.Customer = cu
		var ps []*ent.InsurancePolicyCreate
		for _, p := range in.Policies {
			ps = append(ps, tx.InsurancePolicy.Create().SetCustomerID(cu.ID).SetNumber(p.Number+cu.ID.String()[:8]).
				SetLine(p.Line).SetPremiumCents(p.PremiumCents).SetStartDate(p.StartDate).
				SetNextPremiumDueDate(*p.NextPremiumDueDate).SetRenewalDate(*p.RenewalDate))
		}
		if err := tx.InsurancePolicy.CreateBulk(ps...).Exec(ctx); err != nil {
			return err
		}
		var is []*ent.InteractionCreate
		for _, i := range in.Interactions {
			is = append(is, tx.Interaction.Create().SetCustomerID(cu.ID).SetChannel(i.Channel).SetType(i.Type).
				SetContent(i.Content).SetReceivedAt(i.ReceivedAt))
		}
		if err := tx.Interaction.CreateBulk(is...).Exec(ctx); err != nil {
			return err
		}
		for _, c := range in.Complaints {
			if err := tx.Complaint.Create().SetCustomerID(cu.ID).SetCategory(c.Category).SetStatus(c.Status).
				SetSummary(c.Summary).SetReceivedAt(c.ReceivedAt).SetAckDueAt(c.AckDueAt).SetAnswerDueAt(c.AnswerDueAt).
				SetCloseDueAt(c.CloseDueAt).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return in.Customer.ID
}

// BenchmarkRecomputeCustomer recomputes (loads, computes, reconciles) the
// portrait and plan of a stored customer with 50 policies and 500
// interactions whose inputs did not change: the steady-state server time.
func BenchmarkRecomputeCustomer(b *testing.B) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(dial, func(b *testing.B) {
			now := noon(2026, 3, 18, "Asia/Shanghai")
			db := benchDB(b, dial, clock.NewFake(now))
			ctx := auth.SystemContext(context.Background())
			if _, err := plan.EnsureBuiltins(ctx, db); err != nil {
				b.Fatal(err)
			}
			id := seedBig(b, db, now)
			env, err := plan.LoadEnv(ctx, db.Client)
			if err != nil {
				b.Fatal(err)
			}
			first, err := plan.RecomputeCustomer(ctx, db, env, id, now)
			if err != nil || !first.PortraitWritten || first.Plan.Created == 0 {
				b.Fatalf("first recompute = %+v, %v", first, err)
			}
			d := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				res, err := plan.RecomputeCustomer(ctx, db, env, id, now)
				d = append(d, time.Since(start))
				if err != nil || res.PortraitWritten || res.Plan.Changed {
					b.Fatalf("unchanged recompute = %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(first.Plan.Created), "steps")
			reportPercentiles(b, d)
		})
	}
}

// seedBook stores n customers of one agent with 3 policies and 25
// interactions each, premium and renewal dates spread over the coming
// weeks.
func seedBook(b *testing.B, db *store.DB, n int, now time.Time) {
	b.Helper()
	r := mrand.New(mrand.NewPCG(3, 4))
	ctx := auth.SystemContext(context.Background())
	text := strings.Repeat("客户咨询续期缴费事宜，", 10)
	var agentID uuid.UUID
	if err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		a, err := tx.Agent.Create().SetUsername("bench").SetPasswordHash("x").Save(ctx)
		agentID = a.ID
		return err
	}); err != nil {
		b.Fatal(err)
	}
	const perTx = 100
	for base := 0; base < n; base += perTx {
		err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			var cs []*ent.CustomerCreate
			for i := base; i < min(base+perTx, n); i++ {
				cs = append(cs, tx.Customer.Create().SetName(fmt.Sprintf("客户%04d", i)).SetAgentID(agentID).
					SetBirthDate(day(1960+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28))).SetCreatedAt(day(2020, 1, 1)))
			}
			custs, err := tx.Customer.CreateBulk(cs...).Save(ctx)
			if err != nil {
				return err
			}
			var ps []*ent.InsurancePolicyCreate
			var is []*ent.InteractionCreate
			for _, c := range custs {
				for j := range 3 {
					due := now.AddDate(0, 0, r.IntN(90)).Truncate(24 * time.Hour)
					ps = append(ps, tx.InsurancePolicy.Create().SetCustomerID(c.ID).SetNumber(fmt.Sprintf("%s-%d", c.ID, j)).
						SetLine(lineNames[r.IntN(len(lineNames))]).SetPremiumCents(int64(100000+r.IntN(900000))).
						SetStartDate(day(2018+r.IntN(8), time.Month(1+r.IntN(12)), 1+r.IntN(28))).
						SetNextPremiumDueDate(due).SetRenewalDate(due))
				}
				for range 25 {
					is = append(is, tx.Interaction.Create().SetCustomerID(c.ID).SetAgentID(agentID).
						SetChannel(interaction.ChannelPhone).SetType(interaction.TypeConsultation).SetContent(text).
						SetReceivedAt(now.Add(-time.Duration(r.IntN(200*24))*time.Hour)))
				}
			}
			if err := tx.InsurancePolicy.CreateBulk(ps...).Exec(ctx); err != nil {
				return err
			}
			return tx.Interaction.CreateBulk(is...).Exec(ctx)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBookAfterRuleChange recomputes a 2,000-customer book after an
// admin changes the premium-reminder rule's title: every customer is
// re-evaluated, those with a premium step are rewritten.
func BenchmarkBookAfterRuleChange(b *testing.B) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(dial, func(b *testing.B) {
			now := noon(2026, 3, 18, "Asia/Shanghai")
			clk := clock.NewFake(now)
			db := benchDB(b, dial, clk)
			ctx := auth.SystemContext(context.Background())
			if _, err := plan.EnsureBuiltins(ctx, db); err != nil {
				b.Fatal(err)
			}
			seedBook(b, db, 2000, now)
			rec := plan.NewRecomputer(db, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), 4)
			start := time.Now()
			first, err := rec.RunOnce(ctx)
			if err != nil || first.Customers != 2000 {
				b.Fatalf("first sweep = %+v, %v", first, err)
			}
			firstSweep := time.Since(start)
			admin := auth.WithViewer(ctx, &auth.Viewer{Kind: auth.KindAgent, Role: auth.RoleAdmin})
			var st plan.Stats
			n := 0
			for b.Loop() {
				b.StopTimer()
				rules, _, err := plan.LoadRules(ctx, db.Client)
				if err != nil {
					b.Fatal(err)
				}
				i := slices.IndexFunc(rules, func(r plan.Rule) bool { return r.Key == "premium-due-3d" })
				rl := rules[i]
				in := plan.RuleInput{Key: rl.Key, Name: rl.Name, Priority: rl.Priority, Scenario: rl.Scenario,
					Conditions: rl.Conditions, Step: rl.Step}
				n++
				in.Step.Title = fmt.Sprintf("缴费提醒 %d：{customer.name} {policy.number}", n)
				if _, err := plan.UpdateRule(admin, db, rl.ID, rl.Revision, in); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if st, err = rec.RunOnce(ctx); err != nil || !st.Swept {
					b.Fatalf("sweep = %+v, %v", st, err)
				}
			}
			b.ReportMetric(firstSweep.Seconds(), "first-sweep-s")
			b.ReportMetric(float64(st.Customers), "customers")
			b.ReportMetric(float64(st.PlansWritten), "plans-written")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(st.Customers), "ms/customer")
		})
	}
}
