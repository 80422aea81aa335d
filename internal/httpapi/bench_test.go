package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// BenchmarkNoChangePullHTTP is issue #10's throughput figure on a small
// scale: agents whose phones are up to date pull all collections in one
// request, concurrently, over loopback keep-alive connections to the real
// server (the load generator shares the machine's cores). It reports
// requests per second and the latency percentiles.
func BenchmarkNoChangePullHTTP(b *testing.B) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(dial, func(b *testing.B) {
			e := apptest.NewWith(b, dial, func(c *config.Config) { c.RateLimit = 0 })
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			type phone struct{ token, cursor string }
			var phones []phone
			for i := range 20 {
				a := e.Agent(b, fmt.Sprintf("agent%02d", i), auth.RoleAgent, "东区")
				if err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
					for j := range 5 {
						if _, err := tx.Customer.Create().SetName(fmt.Sprintf("客户%d-%d", i, j)).SetAgentID(a.ID).Save(ctx); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				p := phone{token: e.Token(b, a)}
				for {
					var page struct {
						Cursor  string `json:"cursor"`
						HasMore bool   `json:"has_more"`
					}
					body, _ := pullOnce(b, client, e.URL, p.token, p.cursor)
					if err := json.Unmarshal(body, &page); err != nil {
						b.Fatal(err)
					}
					p.cursor = page.Cursor
					if !page.HasMore {
						break
					}
				}
				phones = append(phones, p)
			}
			// The later agents' customers moved the log's head: one pull
			// each brings the phones' cursors to it.
			for i, p := range phones {
				var page struct {
					Cursor string `json:"cursor"`
				}
				body, _ := pullOnce(b, client, e.URL, p.token, p.cursor)
				if err := json.Unmarshal(body, &page); err != nil {
					b.Fatal(err)
				}
				phones[i].cursor = page.Cursor
			}
			var mu sync.Mutex
			var lat []time.Duration
			var next atomic.Int64
			b.SetParallelism(4) // 8 clients on 2 cores
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					p := phones[next.Add(1)%int64(len(phones))]
					_, d := pullOnce(b, client, e.URL, p.token, p.cursor)
					mine = append(mine, d)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.ReportMetric(float64(len(lat))/time.Since(start).Seconds(), "req/s")
			b.ReportMetric(percentileMS(lat, 50), "p50-ms")
			b.ReportMetric(percentileMS(lat, 99), "p99-ms")
		})
	}
}

// pullOnce is one pull with the phone's cursor (zstd accepted); it returns
// the decoded body of a 200 (nil for 304) and the request's latency.
func pullOnce(b *testing.B, client *http.Client, base, token, cursor string) ([]byte, time.Duration) {
	req, err := http.NewRequest(http.MethodGet, base+"/v1/sync/pull?limit=5000&cursor="+cursor, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("pull: %d %v %s", res.StatusCode, err, body)
	}
	return body, d
}
