package plan_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait"
)

func cond(fact, op string, v any) domain.RuleCondition {
	return domain.RuleCondition{Fact: fact, Op: op, Value: v}
}

// goodRule is a valid per-policy rule; cases break one thing each.
func goodRule() plan.RuleInput {
	return plan.RuleInput{
		Key: "lapse-rescue", Name: "失效挽回", Priority: "high", Scenario: "payment_reminder",
		Conditions: []domain.RuleCondition{cond("policy.status", "eq", "grace"), cond("policy.missed_payments", "gte", 1)},
		Step: domain.RuleStep{Title: "挽回{customer.name}的保单 {policy.number}", Due: domain.RuleDue{Event: "now", OffsetDays: 2},
			ToolkitItemKeys: []string{"payment-reminder-call"},
			Checklist:       []domain.ChecklistItem{{Key: "call", Label: "致电客户"}}},
	}
}

func TestValidateRejectsBadRules(t *testing.T) {
	env := plan.ValidationEnv{
		ToolkitKeys: map[string]bool{"payment-reminder-call": true, "renewal-script": true},
		TakenKeys:   map[string]bool{"premium-due-3d": true},
	}
	fe := func(field, code string) apperr.FieldError { return apperr.FieldError{Field: field, Code: code} }
	tests := []struct {
		name   string
		change func(r *plan.RuleInput)
		want   []apperr.FieldError
	}{
		{"valid", func(r *plan.RuleInput) {}, nil},
		{"unknown fact", func(r *plan.RuleInput) { r.Conditions[0].Fact = "policy.colour" },
			[]apperr.FieldError{fe("/conditions/0/fact", "unknown_fact")}},
		{"op that does not apply to a string", func(r *plan.RuleInput) { r.Conditions[0].Op = "lt" },
			[]apperr.FieldError{fe("/conditions/0/op", "bad_op")}},
		{"unknown op", func(r *plan.RuleInput) { r.Conditions[1].Op = "between" },
			[]apperr.FieldError{fe("/conditions/1/op", "bad_op")}},
		{"string for a number", func(r *plan.RuleInput) { r.Conditions[1].Value = "one" },
			[]apperr.FieldError{fe("/conditions/1/value", "value_type")}},
		{"missing value", func(r *plan.RuleInput) { r.Conditions[1].Value = nil },
			[]apperr.FieldError{fe("/conditions/1/value", "value_type")}},
		{"number for a bool", func(r *plan.RuleInput) {
			r.Conditions = []domain.RuleCondition{cond("complaint.open", "eq", 1)}
			r.Step.Title = "跟进"
		}, []apperr.FieldError{fe("/conditions/0/value", "value_type")}},
		{"unknown enumerated value", func(r *plan.RuleInput) { r.Conditions[0].Value = "cancelled" },
			[]apperr.FieldError{fe("/conditions/0/value", "unknown_value")}},
		{"unknown value in a list", func(r *plan.RuleInput) { r.Conditions[0] = cond("policy.status", "in", []string{"active", "void"}) },
			[]apperr.FieldError{fe("/conditions/0/value", "unknown_value")}},
		{"in without an array", func(r *plan.RuleInput) { r.Conditions[0] = cond("policy.status", "in", "active") },
			[]apperr.FieldError{fe("/conditions/0/value", "value_type")}},
		{"in with strings for a number", func(r *plan.RuleInput) { r.Conditions[1] = cond("policy.missed_payments", "in", []string{"1"}) },
			[]apperr.FieldError{fe("/conditions/1/value", "value_type")}},
		{"exists with a number", func(r *plan.RuleInput) { r.Conditions[1] = cond("policy.renewal_in_days", "exists", 3) },
			[]apperr.FieldError{fe("/conditions/1/value", "value_type")}},
		{"lt on a list", func(r *plan.RuleInput) { r.Conditions[0] = cond("customer.tags", "lt", "vip") },
			[]apperr.FieldError{fe("/conditions/0/op", "bad_op")}},
		{"policy and complaint facts mixed", func(r *plan.RuleInput) { r.Conditions[1] = cond("complaint.open", "eq", true) },
			[]apperr.FieldError{fe("/conditions/1/fact", "mixed_scope")}},
		{"complaint event in a per-policy rule", func(r *plan.RuleInput) { r.Step.Due.Event = "complaint.answer_due_date" },
			[]apperr.FieldError{fe("/step/due/event", "mixed_scope")}},
		{"too many conditions", func(r *plan.RuleInput) {
			for range 20 {
				r.Conditions = append(r.Conditions, cond("policy.missed_payments", "gte", 0))
			}
		}, []apperr.FieldError{fe("/conditions", "maxItems")}},
		{"unknown due event", func(r *plan.RuleInput) { r.Step.Due.Event = "policy.maturity_date" },
			[]apperr.FieldError{fe("/step/due/event", "unknown_event")}},
		{"offset out of range", func(r *plan.RuleInput) { r.Step.Due.OffsetDays = 3661 },
			[]apperr.FieldError{fe("/step/due/offset_days", "range")}},
		{"negative offset out of range", func(r *plan.RuleInput) { r.Step.Due.OffsetDays = -3661 },
			[]apperr.FieldError{fe("/step/due/offset_days", "range")}},
		{"unknown toolkit key", func(r *plan.RuleInput) { r.Step.ToolkitItemKeys = []string{"renewal-script", "no-such-item"} },
			[]apperr.FieldError{fe("/step/toolkit_item_keys/1", "unknown_toolkit_item")}},
		{"toolkit key twice", func(r *plan.RuleInput) { r.Step.ToolkitItemKeys = []string{"renewal-script", "renewal-script"} },
			[]apperr.FieldError{fe("/step/toolkit_item_keys/1", "duplicate")}},
		{"empty title", func(r *plan.RuleInput) { r.Step.Title = "  " },
			[]apperr.FieldError{fe("/step/title", "required")}},
		{"unknown placeholder", func(r *plan.RuleInput) { r.Step.Title = "致电{customer.nickname}" },
			[]apperr.FieldError{fe("/step/title", "unknown_placeholder")}},
		{"policy placeholder in a per-customer rule", func(r *plan.RuleInput) {
			r.Conditions = []domain.RuleCondition{cond("customer.age", "gte", 60)}
		}, []apperr.FieldError{fe("/step/title", "unknown_placeholder")}},
		{"checklist key twice", func(r *plan.RuleInput) {
			r.Step.Checklist = append(r.Step.Checklist, domain.ChecklistItem{Key: "call", Label: "再次致电"})
		}, []apperr.FieldError{fe("/step/checklist/1/key", "duplicate")}},
		{"checklist entry without a label", func(r *plan.RuleInput) { r.Step.Checklist[0].Label = "" },
			[]apperr.FieldError{fe("/step/checklist/0/label", "length")}},
		{"key taken", func(r *plan.RuleInput) { r.Key = "premium-due-3d" },
			[]apperr.FieldError{fe("/key", "duplicate")}},
		{"key not a slug", func(r *plan.RuleInput) { r.Key = "Lapse Rescue" },
			[]apperr.FieldError{fe("/key", "pattern")}},
		{"empty name, bad priority and scenario", func(r *plan.RuleInput) { r.Name, r.Priority, r.Scenario = "", "urgent", "lunch" },
			[]apperr.FieldError{fe("/name", "required"), fe("/priority", "enum"), fe("/scenario", "enum")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRule()
			tt.change(&r)
			got := plan.Validate(r, env)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(apperr.FieldError{}, "Message"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
			for _, e := range got {
				if e.Message == "" {
					t.Errorf("field error %s has no message", e.Field)
				}
			}
		})
	}
}

func TestBuiltinsAreValid(t *testing.T) {
	for _, r := range plan.Builtins() {
		if errs := plan.Validate(r, plan.ValidationEnv{}); len(errs) > 0 {
			t.Errorf("built-in %s: %v", r.Key, errs)
		}
	}
}

func TestOperatorsAndTheAgentsCalendar(t *testing.T) {
	rule := func(conds ...domain.RuleCondition) []plan.Rule {
		return []plan.Rule{{Key: "r", Enabled: true, Revision: 1, Priority: "medium", Scenario: "consultation", Conditions: conds,
			Step: domain.RuleStep{Title: "t", Due: domain.RuleDue{Event: "policy.next_premium_due_date"}}}}
	}
	due := func(p *ent.InsurancePolicy) { p.NextPremiumDueDate = ptr(day(2026, 3, 20)) }
	tagged := func(in *portrait.Inputs) { in.Customer.Tags = []string{"高净值", "续保"} }
	// 20:00 on the 19th in Los Angeles, 03:00 on the 20th in UTC.
	at := time.Date(2026, 3, 20, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		rules []plan.Rule
		tz    string
		want  int
	}{
		{"due tomorrow in Los Angeles", rule(cond("policy.next_premium_due_in_days", "eq", 1)), "America/Los_Angeles", 1},
		{"due today in UTC", rule(cond("policy.next_premium_due_in_days", "eq", 1)), "UTC", 0},
		{"due today in UTC (eq 0)", rule(cond("policy.next_premium_due_in_days", "eq", 0)), "UTC", 1},
		{"due today in Shanghai (11:00)", rule(cond("policy.next_premium_due_in_days", "eq", 0)), "Asia/Shanghai", 1},
		{"in numbers", rule(cond("policy.next_premium_due_in_days", "in", []int{0, 7})), "UTC", 1},
		{"list contains", rule(cond("customer.tags", "eq", "续保")), "UTC", 1},
		{"list does not contain", rule(cond("customer.tags", "ne", "续保")), "UTC", 0},
		{"list contains any", rule(cond("customer.tags", "in", []string{"vip", "高净值"})), "UTC", 1},
		{"exists", rule(cond("policy.renewal_in_days", "exists", nil)), "UTC", 0},
		{"exists false", rule(cond("policy.renewal_in_days", "exists", false)), "UTC", 1},
		{"absent fact is never less than", rule(cond("customer.age", "lt", 200)), "UTC", 0},
		{"absent fact is never unequal", rule(cond("customer.age", "ne", 30)), "UTC", 0},
		{"disabled rule", []plan.Rule{{Key: "r", Enabled: false, Conditions: nil,
			Step: domain.RuleStep{Title: "t", Due: domain.RuleDue{Event: "now"}}}}, "UTC", 0},
		{"invalid stored rule is skipped", rule(cond("policy.colour", "eq", "red")), "UTC", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, _ := time.LoadLocation(tt.tz)
			in := customerOnly(day(2020, 1, 1))
			withPolicy(due)(in)
			tagged(in)
			steps := plan.Evaluate(tt.rules, in, portrait.Compute(in, at, loc), nil, at, loc)
			if len(steps) != tt.want {
				t.Errorf("%d steps, want %d", len(steps), tt.want)
			}
		})
	}
}

func TestEvaluateOrdersAndFillsSteps(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := noon(2026, 3, 17, "Asia/Shanghai")
	in := customerOnly(day(2020, 1, 1))
	in.Customer.Name = "王芳"
	in.Customer.BirthDate = ptr(day(1985, 3, 20))
	withPolicy(func(p *ent.InsurancePolicy) {
		p.NextPremiumDueDate = ptr(day(2026, 3, 20))
		p.RenewalDate = ptr(day(2026, 4, 10))
	})(in)
	withComplaint(complaint.CategoryBilling, complaint.StatusReceived, time.Date(2026, 3, 16, 2, 0, 0, 0, time.UTC))(in)
	in.Interactions = []*ent.Interaction{{ID: id(21), ReceivedAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}}
	call, script := uuid.MustParse("01958e00-4b77-7c96-ae57-6f7a8b9cadb1"), uuid.MustParse("01958e00-4b77-7c96-ae57-6f7a8b9cadb2")
	steps := plan.Evaluate(builtinRules(), in, portrait.Compute(in, now, sh),
		map[string]uuid.UUID{"payment-reminder-call": call, "renewal-script": script}, now, sh)
	type row struct {
		Rule, Title, Due string
		Toolkit          []uuid.UUID
		Checklist        int
	}
	var gotRows []row
	for _, s := range steps {
		gotRows = append(gotRows, row{s.RuleKey, s.Title, s.Due.String(), s.ToolkitItemIDs, len(s.Checklist)})
	}
	// high first, then medium, then low; by due date within a priority.
	want := []row{
		{"premium-due-3d", "提醒王芳缴纳 P0001 续期保费", "2026-03-17", []uuid.UUID{call}, 2},
		{"complaint-follow-up", "跟进王芳的投诉并在时限内答复", "2026-03-18", []uuid.UUID{}, 2},
		{"renewal-30d", "与王芳回顾 P0001 的续保", "2026-03-27", []uuid.UUID{script}, 2},
		{"no-claim-3y-upgrade", "为王芳准备保障升级方案", "2026-01-31", []uuid.UUID{}, 0},
		{"coverage-gap-needs-analysis", "为王芳做一次保障需求分析", "2026-03-31", []uuid.UUID{}, 0},
		{"birthday-care", "王芳生日关怀", "2026-03-20", []uuid.UUID{}, 0},
	}
	if diff := cmp.Diff(want, gotRows); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
}
