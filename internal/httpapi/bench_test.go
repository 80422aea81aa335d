package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/config"
	"github.com/agentdesk/agentdesk/internal/plan"
)

// BenchmarkPlanAndPortraitHTTP is issue #6's figure: the agent's GET of
// the service plan and of the portrait of a customer with 50 policies and
// 500 interactions, over a loopback connection to the real server (so an
// upper bound of server time), after the background recompute. It reports
// the median and 99th percentile of each.
func BenchmarkPlanAndPortraitHTTP(b *testing.B) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(dial, func(b *testing.B) {
			e := apptest.NewWith(b, dial, func(c *config.Config) { c.RateLimit = 0 }) // 0: no per-caller limit
			a := e.Agent(b, "big-book", auth.RoleAgent, "东区")
			token := e.Token(b, a)
			now := e.Clock.Now()
			var id string
			err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
				c, err := tx.Customer.Create().SetName("大客户").SetAgentID(a.ID).
					SetBirthDate(time.Date(1980, 5, 20, 0, 0, 0, 0, time.UTC)).Save(ctx)
				if err != nil {
					return err
				}
				id = c.ID.String()
				lines := []insurancepolicy.Line{insurancepolicy.LineLife, insurancepolicy.LineHealth,
					insurancepolicy.LineCriticalIllness, insurancepolicy.LineAccident}
				var ps []*ent.InsurancePolicyCreate
				for i := range 50 {
					due := now.AddDate(0, 0, i*7).Truncate(24 * time.Hour)
					ps = append(ps, tx.InsurancePolicy.Create().SetCustomerID(c.ID).SetNumber(fmt.Sprintf("BIG-%03d", i)).
						SetLine(lines[i%len(lines)]).SetPremiumCents(int64(100000+i*1000)).
						SetStartDate(now.AddDate(-1-i%10, 0, 0)).SetNextPremiumDueDate(due).SetRenewalDate(due))
				}
				if err := tx.InsurancePolicy.CreateBulk(ps...).Exec(ctx); err != nil {
					return err
				}
				text := strings.Repeat("客户咨询续期缴费事宜，", 10)
				var is []*ent.InteractionCreate
				for i := range 500 {
					is = append(is, tx.Interaction.Create().SetCustomerID(c.ID).SetAgentID(a.ID).
						SetChannel(interaction.ChannelPhone).SetType(interaction.TypeConsultation).SetContent(text).
						SetReceivedAt(now.Add(-time.Duration(i*9)*time.Hour)))
				}
				return tx.Interaction.CreateBulk(is...).Exec(ctx)
			})
			if err != nil {
				b.Fatal(err)
			}
			r := plan.NewRecomputer(e.App.DB, e.Clock, slog.New(slog.DiscardHandler), 1)
			if _, err := r.RunOnce(apptest.Sys()); err != nil {
				b.Fatal(err)
			}
			get := func(path string) time.Duration {
				req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Accept-Encoding", "zstd, gzip")
				start := time.Now()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				d := time.Since(start)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
				}
				return d
			}
			planPath, portraitPath := "/v1/customers/"+id+"/service-plan", "/v1/customers/"+id+"/portrait"
			get(planPath)
			get(portraitPath)
			var plans, portraits []time.Duration
			for b.Loop() {
				plans = append(plans, get(planPath))
				portraits = append(portraits, get(portraitPath))
			}
			b.ReportMetric(percentileMS(plans, 50), "plan-p50-ms")
			b.ReportMetric(percentileMS(plans, 99), "plan-p99-ms")
			b.ReportMetric(percentileMS(portraits, 50), "portrait-p50-ms")
			b.ReportMetric(percentileMS(portraits, 99), "portrait-p99-ms")
		})
	}
}

func percentileMS(d []time.Duration, p int) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return float64(s[i].Microseconds()) / 1000
}
