package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// testNow is Wednesday 18 March 2026, 10:00 in Shanghai.
var testNow = time.Date(2026, 3, 18, 2, 0, 0, 0, time.UTC)

const (
	testSeed     = 20260318
	testPassword = "demo-Passw0rd!"
)

func testProtector(t *testing.T) *pii.Protector {
	t.Helper()
	k, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	p, err := pii.NewSingle(k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testOptions() Options {
	return Options{Password: testPassword, Now: testNow, Seed: testSeed}
}

// load runs Load and reports its duration.
func load(t *testing.T, db *store.DB, p *pii.Protector) Summary {
	t.Helper()
	start := time.Now()
	sum, err := Load(auth.SystemContext(context.Background()), db, p, testOptions())
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Logf("Load on %s took %v: %+v", db.Dialect, elapsed.Round(time.Millisecond), sum)
	if db.Dialect == dialect.SQLite && !raceEnabled && elapsed > 3*time.Second {
		t.Errorf("Load on SQLite took %v, want < 3s", elapsed)
	}
	return sum
}

// counts reads the number of rows of what Summary counts.
func counts(t *testing.T, c *ent.Client) Summary {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	n := func(k int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return Summary{
		Loaded:        true,
		Agents:        n(c.Agent.Query().Count(ctx)),
		Customers:     n(c.Customer.Query().Count(ctx)),
		Policies:      n(c.InsurancePolicy.Query().Count(ctx)),
		Interactions:  n(c.Interaction.Query().Count(ctx)),
		Tasks:         n(c.Task.Query().Count(ctx)),
		Complaints:    n(c.Complaint.Query().Count(ctx)),
		Claims:        n(c.Claim.Query().Count(ctx)),
		ToolkitItems:  n(c.ToolkitItem.Query().Count(ctx)),
		Notifications: n(c.Notification.Query().Count(ctx)),
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := testProtector(t)
		sum := load(t, db, p)
		ctx := auth.SystemContext(context.Background())
		c := db.Client

		if diff := cmp.Diff(counts(t, c), sum); diff != "" {
			t.Errorf("summary differs from the rows (-rows +summary):\n%s", diff)
		}
		fixed := Summary{Loaded: true, Agents: 5, Customers: 300, Complaints: len(complaintSpecs), Claims: len(claimSpecs),
			ToolkitItems: len(scriptSpecs) + len(checklistSpecs) + len(guideSpecs)}
		got := Summary{Loaded: sum.Loaded, Agents: sum.Agents, Customers: sum.Customers, Complaints: sum.Complaints,
			Claims: sum.Claims, ToolkitItems: sum.ToolkitItems}
		if diff := cmp.Diff(fixed, got); diff != "" {
			t.Errorf("summary mismatch (-want +got):\n%s", diff)
		}
		perCustomer := func(n int) float64 { return float64(n) / float64(sum.Customers) }
		if r := perCustomer(sum.Policies); r < 2.5 || r > 3.5 {
			t.Errorf("%.2f policies per customer, want about 3", r)
		}
		if r := perCustomer(sum.Interactions); r < 5 || r > 10.5 {
			t.Errorf("%.2f interactions per customer, want 5–10", r)
		}
		if sum.ToolkitItems < 40 || sum.Notifications < 15 || sum.Tasks < 500 {
			t.Errorf("too little: %+v", sum)
		}

		// Nothing that other packages compute.
		for name, q := range map[string]interface {
			Count(context.Context) (int, error)
		}{
			"portraits": c.Portrait.Query(), "service plans": c.ServicePlan.Query(), "plan rules": c.PlanRule.Query(),
			"devices": c.Device.Query(), "reminders": c.Reminder.Query(),
		} {
			if n, err := q.Count(ctx); err != nil || n != 0 {
				t.Errorf("%s: %d rows, %v; want none", name, n, err)
			}
		}

		// Every synced record went through the change log.
		logged, err := c.ChangeLog.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := sum.Customers + sum.Policies + sum.Interactions + sum.Tasks + sum.Complaints + sum.Claims +
			sum.ToolkitItems + sum.Notifications; logged != want {
			t.Errorf("change log has %d entries, want %d", logged, want)
		}

		checkAccounts(t, c)
		checkPolicies(t, c)
		checkCustomers(t, c, p)
		checkComplaints(t, c)
		checkClaims(t, c)
		checkToolkit(t, c)
		checkInteractions(t, c)
		checkTasks(t, c)
		checkOthers(t, c, sum)
	})
}

func TestLoadTwice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := testProtector(t)
		first := load(t, db, p)
		before := counts(t, db.Client)
		logged, _ := db.Client.ChangeLog.Query().Count(auth.SystemContext(context.Background()))
		second, err := Load(auth.SystemContext(context.Background()), db, p, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if second != (Summary{}) {
			t.Errorf("second Load = %+v, want Loaded false and nothing written", second)
		}
		if diff := cmp.Diff(before, counts(t, db.Client)); diff != "" || !first.Loaded {
			t.Errorf("second Load changed the rows (-before +after):\n%s", diff)
		}
		if again, _ := db.Client.ChangeLog.Query().Count(auth.SystemContext(context.Background())); again != logged {
			t.Errorf("change log grew from %d to %d", logged, again)
		}
	})
}

// content is a comparable digest of a loaded data set.
func content(t *testing.T, c *ent.Client) []string {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	cs, err := c.Customer.Query().WithPolicies().WithInteractions().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cu := range cs {
		out = append(out, fmt.Sprintf("customer %s %s %v", cu.Name, cu.BirthDate.UTC().Format(time.DateOnly), cu.Tags))
		for _, p := range cu.Edges.Policies {
			out = append(out, fmt.Sprintf("policy %s %s %d", cu.Name, p.Number, p.PremiumCents))
		}
		for _, in := range cu.Edges.Interactions {
			out = append(out, fmt.Sprintf("interaction %s %s %s", cu.Name, in.ReceivedAt.UTC().Format(time.RFC3339), in.Content))
		}
	}
	sort.Strings(out)
	return out
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	ctx := auth.SystemContext(context.Background())
	var digests [2][]string
	var sums [2]Summary
	for i := range digests {
		db := storetest.SQLite(t, storetest.Options{})
		sum, err := Load(ctx, db, testProtector(t), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		sums[i], digests[i] = sum, content(t, db.Client)
	}
	if diff := cmp.Diff(sums[0], sums[1]); diff != "" {
		t.Errorf("summaries differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(digests[0], digests[1]); diff != "" {
		t.Errorf("same seed, different content (-first +second):\n%s", diff)
	}
	names := func(seed int64) []string {
		w := newWorld(Options{Now: testNow, Seed: seed})
		w.generate(DefaultCustomers)
		var out []string
		for _, c := range w.customers {
			out = append(out, c.name)
		}
		return out
	}
	if slices.Equal(names(testSeed), names(testSeed+1)) {
		t.Error("another seed gave the same customers")
	}
}

// TestNoPlaintext reads the SQLite file after a load: no phone or ID
// number may appear in it.
func TestNoPlaintext(t *testing.T) {
	t.Parallel()
	ctx := auth.SystemContext(context.Background())
	url := storetest.URL(t, dialect.SQLite)
	path := strings.TrimPrefix(url, "sqlite:")
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := testProtector(t)
	if _, err := Load(ctx, db, p, testOptions()); err != nil {
		t.Fatal(err)
	}
	cs, err := db.Client.Customer.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, cu := range cs {
		for field, enc := range map[string]string{"phone": cu.PhoneEnc, "id_number": cu.IDNumberEnc} {
			v, err := p.Decrypt(field, enc)
			if err != nil || v == "" {
				t.Fatalf("decrypt %s of %s: %q, %v", field, cu.Name, v, err)
			}
			secrets = append(secrets, v)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(f)
		switch {
		case err == nil:
			files = append(files, b)
		case !os.IsNotExist(err):
			t.Fatal(err)
		}
	}
	if len(files) == 0 || len(secrets) != 2*len(cs) {
		t.Fatalf("%d files, %d secrets", len(files), len(secrets))
	}
	for _, s := range secrets {
		for _, b := range files {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("plaintext %s…%s found in the database file", s[:3], s[len(s)-2:])
			}
		}
	}
}

// TestLoadKeepsExisting loads into a database that already has an admin,
// a toolkit item and calendar days of the demo's: they are kept and
// reused.
func TestLoadKeepsExisting(t *testing.T) {
	t.Parallel()
	ctx := auth.SystemContext(context.Background())
	db := storetest.SQLite(t, storetest.Options{})
	hash, err := auth.HashPassword("another password")
	if err != nil {
		t.Fatal(err)
	}
	err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if err := tx.Agent.Create().SetUsername("admin").SetRole(agent.RoleAdmin).SetPasswordHash(hash).Exec(ctx); err != nil {
			return err
		}
		if err := tx.ToolkitItem.Create().SetKey("payment-reminder-call").SetKind(toolkititem.KindScript).
			SetScenario(toolkititem.ScenarioPaymentReminder).SetTitle("缴费提醒").SetStatus(toolkititem.StatusPublished).
			SetRevision(1).Exec(ctx); err != nil {
			return err
		}
		return tx.CalendarDay.Create().SetDate(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)).SetWorkingDay(false).SetNote("国庆节").Exec(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Load(ctx, db, testProtector(t), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Agents != 4 || sum.ToolkitItems != len(scriptSpecs)+len(checklistSpecs)+len(guideSpecs)-1 {
		t.Errorf("summary %+v, want 4 new agents and one toolkit item fewer", sum)
	}
	admin := agentID(t, db.Client, "admin")
	if err := auth.VerifyPassword("another password", admin.PasswordHash); err != nil {
		t.Errorf("the existing admin's password changed: %v", err)
	}
	if n, err := db.Client.CalendarDay.Query().Count(ctx); err != nil || n != len(holidays) {
		t.Errorf("%d calendar days, %v; want %d", n, err, len(holidays))
	}
}
