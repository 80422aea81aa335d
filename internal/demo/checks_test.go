package demo

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/integratorclient"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitrevision"
	"github.com/agentdesk/agentdesk/ent/toolkitusage"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/plan"
)

// The checks of TestLoad, one per part of the data set.

func checkAccounts(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	want := []struct{ user, role, team, tz, locale string }{
		{"agent1", "agent", "A组", "Asia/Shanghai", "zh-CN"},
		{"agent2", "agent", "A组", "Asia/Shanghai", "zh-CN"},
		{"lead1", "team_lead", "A组", "Asia/Shanghai", "zh-CN"},
		{"agent3", "agent", "B组", "Asia/Urumqi", "zh-CN"},
		{"admin", "admin", "", "Asia/Shanghai", "en"},
	}
	for _, w := range want {
		a, err := c.Agent.Query().Where(agent.Username(w.user)).WithTeam().Only(ctx)
		if err != nil {
			t.Fatalf("agent %s: %v", w.user, err)
		}
		team := ""
		if a.Edges.Team != nil {
			team = a.Edges.Team.Name
		}
		got := struct{ user, role, team, tz, locale string }{a.Username, string(a.Role), team, a.TimeZone, a.Locale}
		if got != w {
			t.Errorf("agent %s = %+v, want %+v", w.user, got, w)
		}
		if a.DisplayName == "" {
			t.Errorf("agent %s has no display name", w.user)
		}
		if err := auth.VerifyPassword(testPassword, a.PasswordHash); err != nil {
			t.Errorf("agent %s cannot log in: %v", w.user, err)
		}
	}
	cl, err := c.IntegratorClient.Query().Where(integratorclient.ClientID("demo-integrator")).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.VerifyPassword(testPassword, cl.SecretHash); err != nil {
		t.Errorf("integrator secret: %v", err)
	}
	if diff := cmp.Diff(integratorScopes, cl.Scopes); diff != "" || cl.Name != "保单核心系统 (演示)" {
		t.Errorf("integrator %q scopes (-want +got):\n%s", cl.Name, diff)
	}
}

func agentID(t *testing.T, c *ent.Client, user string) ent.Agent {
	t.Helper()
	a, err := c.Agent.Query().Where(agent.Username(user)).Only(auth.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return *a
}

// today is testNow's date in Shanghai as a date column value.
var today = time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)

func daysFrom(d time.Time) int { return int(d.UTC().Sub(today).Hours() / 24) }

func checkPolicies(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	a1 := agentID(t, c, "agent1")
	ps, err := c.InsurancePolicy.Query().WithCustomer().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	byDay := map[int]int{}
	statuses := map[string]int{}
	for _, p := range ps {
		if numbers[p.Number] || !regexp.MustCompile(`^P2026\d{7}$`).MatchString(p.Number) {
			t.Errorf("policy number %q duplicate or malformed", p.Number)
		}
		numbers[p.Number] = true
		statuses[string(p.Status)]++
		if p.StartDate.After(today) || p.PremiumCents <= 0 || p.SumAssuredCents <= 0 || p.ProductName == "" {
			t.Errorf("policy %s: start %v premium %d sum %d product %q", p.Number, p.StartDate, p.PremiumCents, p.SumAssuredCents, p.ProductName)
		}
		if p.PaymentFrequency == "single" && (p.NextPremiumDueDate != nil || p.RenewalDate != nil) {
			t.Errorf("single-premium policy %s has due %v renewal %v", p.Number, p.NextPremiumDueDate, p.RenewalDate)
		}
		switch p.Status {
		case "grace":
			if p.MissedPayments < 1 || p.MissedPayments > 2 || p.NextPremiumDueDate == nil || daysFrom(*p.NextPremiumDueDate) >= 0 {
				t.Errorf("grace policy %s: missed %d due %v", p.Number, p.MissedPayments, p.NextPremiumDueDate)
			}
		case "active":
			if p.NextPremiumDueDate != nil && daysFrom(*p.NextPremiumDueDate) < 0 {
				t.Errorf("active policy %s overdue since %v", p.Number, p.NextPremiumDueDate)
			}
		}
		if *p.Edges.Customer.AgentID == a1.ID && p.Status == "active" && p.NextPremiumDueDate != nil {
			byDay[daysFrom(*p.NextPremiumDueDate)]++
		}
	}
	week := 0
	for d := 0; d < 7; d++ {
		week += byDay[d]
	}
	if byDay[0] != 1 || byDay[1] != 2 || week < 5 {
		t.Errorf("agent1 due today %d (want 1), tomorrow %d (want 2), this week %d (want ≥ 5)", byDay[0], byDay[1], week)
	}
	for _, s := range []string{"active", "grace", "lapsed", "terminated"} {
		if statuses[s] == 0 {
			t.Errorf("no %s policy: %v", s, statuses)
		}
	}
	soon := 0
	for _, p := range ps {
		if p.RenewalDate != nil && daysFrom(*p.RenewalDate) >= 0 && daysFrom(*p.RenewalDate) <= 60 {
			soon++
		}
	}
	if soon < len(ps)/5 {
		t.Errorf("%d of %d policies renew in the coming 60 days, want more", soon, len(ps))
	}
}

var (
	mobileRE   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	idNumberRE = regexp.MustCompile(`^\d{17}[\dX]$`)
)

func checkCustomers(t *testing.T, c *ent.Client, p *pii.Protector) {
	ctx := auth.SystemContext(context.Background())
	cs, err := c.Customer.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var external, push, processing, health int
	for _, cu := range cs {
		phone, err := p.Decrypt("phone", cu.PhoneEnc)
		if err != nil || !mobileRE.MatchString(phone) || cu.PhoneHash != p.Hash("phone", phone) {
			t.Errorf("customer %s phone %q (%v), hash ok %v", cu.Name, phone, err, cu.PhoneHash == p.Hash("phone", phone))
		}
		id, err := p.Decrypt("id_number", cu.IDNumberEnc)
		if err != nil || !idNumberRE.MatchString(id) || idCheckDigit(id[:17]) != id[17] || cu.IDNumberHash != p.Hash("id_number", id) {
			t.Errorf("customer %s ID number %q invalid (%v)", cu.Name, id, err)
			continue
		}
		if cu.BirthDate == nil || cu.BirthDate.UTC().Format("20060102") != id[6:14] {
			t.Errorf("customer %s born %v, ID says %s", cu.Name, cu.BirthDate, id[6:14])
		}
		if male := (id[16]-'0')%2 == 1; male != (cu.Gender == customer.GenderMale) || cu.Gender == customer.GenderUnknown {
			t.Errorf("customer %s gender %s, ID digit %c", cu.Name, cu.Gender, id[16])
		}
		if n := utf8.RuneCountInString(cu.Name); n < 2 || n > 4 {
			t.Errorf("customer name %q", cu.Name)
		}
		age := yearsBetween(*cu.BirthDate, today)
		if (age >= 60) != (cu.LifeStage == customer.LifeStageRetired) {
			t.Errorf("customer %s aged %d has life stage %s", cu.Name, age, cu.LifeStage)
		}
		if len(cu.Family.Children) == 0 && (cu.LifeStage == "young_family" || cu.LifeStage == "mature_family") {
			t.Errorf("customer %s has no children but life stage %s", cu.Name, cu.LifeStage)
		}
		for _, ch := range cu.Family.Children {
			if ch.BirthYear-cu.BirthDate.Year() < 18 || ch.BirthYear > today.Year() {
				t.Errorf("customer %s born %d has a child born %d", cu.Name, cu.BirthDate.Year(), ch.BirthYear)
			}
		}
		if cu.HealthNotesEnc != "" {
			if notes, err := p.Decrypt("health_notes", cu.HealthNotesEnc); err != nil || notes == "" {
				t.Errorf("health notes of %s: %q, %v", cu.Name, notes, err)
			}
			health++
		}
		if cu.ExternalID != nil {
			external++
		}
		if cu.Consent.Push {
			push++
		}
		if cu.Consent.DataProcessing {
			processing++
		}
	}
	n := len(cs)
	if external < n*7/10 || external > n*9/10 || push < n*45/100 || push > n*75/100 || processing < n*9/10 || health == 0 {
		t.Errorf("of %d customers: %d external ids, %d push consents, %d data-processing consents, %d health notes",
			n, external, push, processing, health)
	}
}

// scenarios are the ToolkitItem scenario enum of the schema.
var scenarios = []string{
	"consultation", "needs_analysis", "application_underwriting", "policy_delivery_revisit",
	"payment_reminder", "renewal", "claim_assistance", "complaint", "hesitation_surrender",
	"policy_change", "premium_increase", "care_birthday", "care_anniversary", "upgrade_proposal",
}

func checkToolkit(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	items, err := c.ToolkitItem.Query().WithRevisions(func(q *ent.ToolkitRevisionQuery) {
		q.Order(ent.Asc(toolkitrevision.FieldNumber))
	}).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]bool{}
	kinds := map[string]bool{}
	var drafts, retired, english int
	for _, it := range items {
		kinds[string(it.Kind)] = true
		if it.Locale == toolkititem.LocaleEn {
			english++
		}
		revs := it.Edges.Revisions
		switch it.Status {
		case "published":
			published[string(it.Scenario)] = true
			if len(revs) != it.Revision || it.PublishedAt == nil {
				t.Errorf("item %s: revision %d with %d revisions", it.Key, it.Revision, len(revs))
				continue
			}
			for i, r := range revs {
				want := toolkitrevision.StatusRetired
				if i == len(revs)-1 {
					want = toolkitrevision.StatusPublished
				}
				if r.Number != i+1 || r.Status != want {
					t.Errorf("item %s revision %d is %s, want number %d %s", it.Key, r.Number, r.Status, i+1, want)
				}
			}
			if diff := cmp.Diff(it.Content, revs[len(revs)-1].Content); diff != "" {
				t.Errorf("item %s content differs from its published revision:\n%s", it.Key, diff)
			}
		case "draft":
			drafts++
			if it.Revision != 0 || it.PublishedAt != nil || len(revs) != 1 || revs[0].Status != "draft" {
				t.Errorf("draft item %s: revision %d, published %v, %d revisions", it.Key, it.Revision, it.PublishedAt, len(revs))
			}
		case "retired":
			retired++
		}
		switch it.Kind {
		case "script":
			if len(it.Content.Sections) == 0 {
				t.Errorf("script %s has no sections", it.Key)
			}
		case "checklist":
			if len(it.Content.Items) == 0 || it.Content.Items[0].Key == "" || !it.Content.Items[0].Required {
				t.Errorf("checklist %s items %+v", it.Key, it.Content.Items)
			}
		case "flowchart":
			if len(it.Content.Nodes) < 3 || len(it.Content.Edges) < 2 {
				t.Errorf("flowchart %s too small", it.Key)
			}
		case "template":
			if it.Content.Body == "" {
				t.Errorf("template %s has no body", it.Key)
			}
		}
	}
	for _, s := range scenarios {
		if !published[s] {
			t.Errorf("no published toolkit item for scenario %s", s)
		}
	}
	// The built-in plan rules cite these items: the demo publishes them.
	for _, key := range plan.BuiltinToolkitKeys() {
		it, err := c.ToolkitItem.Query().Where(toolkititem.Key(key)).Only(ctx)
		if err != nil || it.Status != toolkititem.StatusPublished || it.Locale != toolkititem.LocaleZhCN {
			t.Errorf("toolkit item %s that a built-in plan rule cites: %v, %v", key, it, err)
		}
	}
	if len(kinds) != 4 || drafts != 1 || retired < 1 || english < 2 {
		t.Errorf("kinds %v, %d drafts, %d retired, %d in English", kinds, drafts, retired, english)
	}
	flow, err := c.ToolkitItem.Query().Where(toolkititem.Key("claims-process-flowchart")).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, n := range flow.Content.Nodes {
		labels = append(labels, n.Label)
	}
	for _, want := range []string{"报案", "受理", "资料齐全", "审核", "赔付"} {
		if !strings.Contains(strings.Join(labels, " "), want) {
			t.Errorf("claim flowchart %v lacks %s", labels, want)
		}
	}
}

func checkInteractions(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	ins, err := c.Interaction.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var answered, withItems, items, consultations, fast, open int
	for _, in := range ins {
		if n := utf8.RuneCountInString(in.Content); n < 50 || n > 300 {
			t.Errorf("interaction content of %d characters: %s", n, in.Content)
		}
		if strings.ContainsAny(in.Content, "{}") {
			t.Errorf("unfilled placeholder: %s", in.Content)
		}
		if in.ReceivedAt.After(testNow) || in.ReceivedAt.Before(testNow.AddDate(0, -19, 0)) {
			t.Errorf("interaction received %v", in.ReceivedAt)
		}
		items += len(in.ToolkitItemIds)
		if in.FirstResponseAt == nil {
			if in.Type == "consultation" {
				open++
			}
			continue
		}
		answered++
		if len(in.ToolkitItemIds) > 0 {
			withItems++
		}
		if in.Type == "consultation" {
			consultations++
			if in.FirstResponseAt.Sub(in.ReceivedAt) <= 12*time.Hour {
				fast++
			}
		}
	}
	if r := float64(withItems) / float64(answered); r < 0.7 || r > 0.9 {
		t.Errorf("%.0f%% of answered interactions used a toolkit item, want about 80%%", 100*r)
	}
	if r := float64(fast) / float64(consultations); r < 0.8 || r > 0.97 {
		t.Errorf("%.0f%% of consultations answered within 12 h, want about 90%%", 100*r)
	}
	if open < 3 {
		t.Errorf("%d unanswered consultations, want a few", open)
	}
	usages, err := c.ToolkitUsage.Query().Where(toolkitusage.InteractionIDNotNil()).Count(ctx)
	if err != nil || usages != items {
		t.Errorf("%d toolkit usages of interactions, want %d (%v)", usages, items, err)
	}
}

func checkTasks(t *testing.T, c *ent.Client) {
	ctx := auth.SystemContext(context.Background())
	a1 := agentID(t, c, "agent1")
	ts, err := c.Task.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	todo := map[string]int{}
	statuses := map[string]int{}
	buckets := map[string]int{}
	mid := time.Date(2026, 3, 18, 0, 0, 0, 0, shanghai)
	for _, tk := range ts {
		statuses[string(tk.Status)]++
		if tk.Status == "skipped" && tk.SkipReason == "" {
			t.Errorf("skipped task %q without a reason", tk.Title)
		}
		if tk.Scenario == nil || tk.DueAt == nil || tk.Title == "" {
			t.Errorf("task %q lacks scenario or due date", tk.Title)
			continue
		}
		if *tk.AgentID != a1.ID || tk.Status != "todo" {
			continue
		}
		todo[tk.CustomerID.String()]++
		switch d := tk.DueAt.Sub(mid); {
		case d < 0:
			buckets["overdue"]++
		case d < 24*time.Hour:
			buckets["today"]++
		case d < 48*time.Hour:
			buckets["tomorrow"]++
		case d >= 7*24*time.Hour && d < 14*24*time.Hour:
			buckets["next week"]++
		}
	}
	a1customers, err := c.Customer.Query().Where(customer.AgentID(a1.ID)).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range a1customers {
		if n := todo[id.String()]; n < 2 || n > 5 {
			t.Errorf("agent1's customer %s has %d open tasks, want 2–5", id, n)
		}
	}
	for _, s := range []string{"todo", "done", "skipped"} {
		if statuses[s] == 0 {
			t.Errorf("no %s task", s)
		}
	}
	for _, b := range []string{"overdue", "today", "tomorrow", "next week"} {
		if buckets[b] == 0 {
			t.Errorf("agent1 has no task due %s: %v", b, buckets)
		}
	}
}

func checkOthers(t *testing.T, c *ent.Client, sum Summary) {
	ctx := auth.SystemContext(context.Background())
	nps, err := c.NpsAnswer.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	promoters := 0
	for _, a := range nps {
		if a.Score >= 9 {
			promoters++
		}
	}
	if n := len(nps); n < sum.Customers/5 || n > sum.Customers*2/5 || promoters*2 < n {
		t.Errorf("%d NPS answers (%d promoters) for %d customers", n, promoters, sum.Customers)
	}

	ns, err := c.Notification.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	read := 0
	for _, n := range ns {
		kinds[string(n.Kind)] = true
		if n.ReadAt != nil {
			read++
		}
	}
	for _, k := range []string{"premium_due", "renewal_due", "complaint_sla", "claim_sla", "task_due"} {
		if !kinds[k] {
			t.Errorf("no %s notification", k)
		}
	}
	if read == 0 || read == len(ns) {
		t.Errorf("%d of %d notifications read, want some", read, len(ns))
	}
	for _, user := range []string{"agent1", "agent2", "agent3"} {
		a := agentID(t, c, user)
		if n, err := c.Notification.Query().Where(notification.AgentID(a.ID)).Count(ctx); err != nil || n < 3 {
			t.Errorf("%s inbox: %d, %v", a.Username, n, err)
		}
	}

	days, err := c.CalendarDay.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	working := map[string]bool{}
	for _, d := range days {
		working[d.Date.UTC().Format(time.DateOnly)] = d.WorkingDay
	}
	if len(days) != len(holidays) || working["2026-10-01"] || !working["2026-02-14"] || working["2027-01-01"] {
		t.Errorf("%d calendar days (want %d); 2026-10-01 working %v, 2026-02-14 working %v", len(days), len(holidays), working["2026-10-01"], working["2026-02-14"])
	}
}
