package plan

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/ent/dialect"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/planrule"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
)

func cnd(fact, op string, value any) domain.RuleCondition {
	return domain.RuleCondition{Fact: fact, Op: op, Value: normalize(value)}
}

func item(key, label string, required bool) domain.ChecklistItem {
	return domain.ChecklistItem{Key: key, Label: label, Required: required}
}

var inForce = []any{"active", "grace"}

// Builtins returns the built-in rules, the seeds' triggers:
//
//	key                          scope      when                                              due
//	premium-due-3d               policy     premium due in ≤ 3 days, in force, not single     3 days before the due date
//	renewal-30d                  policy     renewal in ≤ 30 days, in force                    14 days before renewal
//	new-policy-delivery          policy     started, still in the cooling-off period, active  3 days before it ends
//	no-claim-3y-upgrade          customer   ≥ 3 claim-free years (household), a policy in force  30 days after the milestone
//	claim-timeliness-preview     policy     ever complained about claim timeliness,           7 days before the anniversary
//	                                        anniversary in ≤ 30 days, in force
//	complaint-follow-up          complaint  open complaint                                    the answer deadline (SLA)
//	birthday-care                customer   birthday in ≤ 7 days                              on the birthday
//	no-contact-90d               customer   no contact for ≥ 90 days                          the 90th day
//	coverage-gap-needs-analysis  customer   at least one coverage gap                         14 days after it first appears
//
// EnsureBuiltins stores them once; admins may edit or disable them after.
func Builtins() []RuleInput {
	yes := true
	rules := []RuleInput{
		{Key: "premium-due-3d", Name: "缴费前 3 天提醒", Description: "续期保费到期前 3 天电话提醒客户缴费。",
			Priority: "high", Scenario: "payment_reminder",
			Conditions: []domain.RuleCondition{
				cnd("policy.next_premium_due_in_days", OpLte, 3), cnd("policy.status", OpIn, inForce),
				cnd("policy.payment_frequency", OpNe, "single"),
			},
			Step: domain.RuleStep{Title: "提醒{customer.name}缴纳 {policy.number} 续期保费",
				Due: domain.RuleDue{Event: "policy.next_premium_due_date", OffsetDays: -3}, ToolkitItemKeys: []string{"payment-reminder-call"},
				Checklist: []domain.ChecklistItem{item("confirm-account", "确认扣款账户余额充足", true), item("explain-grace", "说明宽限期规则", false)}}},
		{Key: "renewal-30d", Name: "续保前 30 天回顾", Description: "续保日前 30 天内，用续保话术与客户回顾保障并确认续保。",
			Priority: "high", Scenario: "renewal",
			Conditions: []domain.RuleCondition{cnd("policy.renewal_in_days", OpLte, 30), cnd("policy.status", OpIn, inForce)},
			Step: domain.RuleStep{Title: "与{customer.name}回顾 {policy.number} 的续保",
				Due: domain.RuleDue{Event: "policy.renewal_date", OffsetDays: -14}, ToolkitItemKeys: []string{"renewal-script"},
				Checklist: []domain.ChecklistItem{item("review-coverage", "回顾保障内容与家庭变化", true), item("confirm-premium", "确认续保保费与缴费方式", true)}}},
		{Key: "new-policy-delivery", Name: "新单递送与犹豫期回访", Description: "新保单生效后递送保单，并在犹豫期结束前完成回访。",
			Priority: "high", Scenario: "policy_delivery_revisit",
			Conditions: []domain.RuleCondition{
				cnd("policy.days_since_start", OpGte, 0), cnd("policy.hesitation_days_left", OpGte, 0), cnd("policy.status", OpEq, "active"),
			},
			Step: domain.RuleStep{Title: "向{customer.name}递送保单 {policy.number} 并在犹豫期内回访",
				Due: domain.RuleDue{Event: "policy.hesitation_end_date", OffsetDays: -3}, ToolkitItemKeys: []string{"policy-delivery-checklist"},
				Checklist: []domain.ChecklistItem{item("deliver", "递送保单并讲解条款", true), item("revisit", "完成回访并记录客户确认", true)}}},
		{Key: "no-claim-3y-upgrade", Name: "连续 3 年无理赔升级建议", Description: "家庭连续 3 年无理赔时，建议保障升级。",
			Priority: "medium", Scenario: "upgrade_proposal",
			Conditions: []domain.RuleCondition{cnd("claims.years_without_claim_family", OpGte, 3), cnd("portrait.active_policy_count", OpGte, 1)},
			Step: domain.RuleStep{Title: "为{customer.name}准备保障升级方案",
				Due: domain.RuleDue{Event: "claims.no_claim_milestone_date", OffsetDays: 30}, ToolkitItemKeys: []string{"upgrade-proposal-script"}}},
		{Key: "claim-timeliness-preview", Name: "理赔流程预讲", Description: "曾投诉理赔时效的客户，在保单周年日前 7 天预讲理赔流程。",
			Priority: "medium", Scenario: "claim_assistance",
			Conditions: []domain.RuleCondition{
				cnd("complaints.claim_timeliness_count", OpGte, 1), cnd("policy.status", OpIn, inForce), cnd("policy.anniversary_in_days", OpLte, 30),
			},
			Step: domain.RuleStep{Title: "保单周年日前向{customer.name}预讲 {policy.number} 的理赔流程",
				Due: domain.RuleDue{Event: "policy.anniversary_date", OffsetDays: -7}, ToolkitItemKeys: []string{"claims-process-flowchart"}}},
		{Key: "complaint-follow-up", Name: "投诉跟进", Description: "未结投诉在答复时限内跟进。",
			Priority: "high", Scenario: "complaint",
			Conditions: []domain.RuleCondition{cnd("complaint.open", OpEq, true)},
			Step: domain.RuleStep{Title: "跟进{customer.name}的投诉并在时限内答复",
				Due: domain.RuleDue{Event: "complaint.answer_due_date", OffsetDays: 0}, ToolkitItemKeys: []string{"complaint-follow-up-script"},
				Checklist: []domain.ChecklistItem{item("acknowledge", "确认已受理并告知处理时限", true), item("answer", "给出答复方案", true)}}},
		{Key: "birthday-care", Name: "生日关怀", Description: "客户生日前 7 天内安排关怀。",
			Priority: "low", Scenario: "care_birthday",
			Conditions: []domain.RuleCondition{cnd("customer.birthday_in_days", OpLte, 7)},
			Step: domain.RuleStep{Title: "{customer.name}生日关怀",
				Due: domain.RuleDue{Event: "customer.next_birthday", OffsetDays: 0}, ToolkitItemKeys: []string{"birthday-care-script"}}},
		{Key: "no-contact-90d", Name: "90 天未联系回访", Description: "90 天未联系的客户安排一次问候。",
			Priority: "medium", Scenario: "consultation",
			Conditions: []domain.RuleCondition{cnd("customer.days_since_last_contact", OpGte, 90)},
			Step: domain.RuleStep{Title: "联系{customer.name}了解近况（已 90 天未联系）",
				Due: domain.RuleDue{Event: "customer.last_contact_date", OffsetDays: 90}, ToolkitItemKeys: []string{"check-in-script"}}},
		{Key: "coverage-gap-needs-analysis", Name: "保障缺口需求分析", Description: "画像显示保障缺口时安排需求分析。",
			Priority: "medium", Scenario: "needs_analysis",
			Conditions: []domain.RuleCondition{cnd("portrait.coverage_gap_count", OpGte, 1)},
			Step: domain.RuleStep{Title: "为{customer.name}做一次保障需求分析",
				Due: domain.RuleDue{Event: EventNow, OffsetDays: 14}, ToolkitItemKeys: []string{"needs-analysis-checklist"}}},
	}
	for i := range rules {
		rules[i].Enabled = &yes
	}
	return rules
}

// BuiltinToolkitKeys lists the toolkit item keys the built-in rules name,
// sorted: the keys a seeded toolkit should publish.
func BuiltinToolkitKeys() []string {
	var keys []string
	for _, r := range Builtins() {
		keys = append(keys, r.Step.ToolkitItemKeys...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// builtinsLock is the PostgreSQL advisory-lock key that serializes
// EnsureBuiltins across replicas.
const builtinsLock = 0x61646269 // "adbi"

// EnsureBuiltins stores the built-in rules that are missing (by key) and
// bumps the rules version when it added any; rules already stored, edited
// or not, are left alone. It returns how many it added. Pass
// auth.SystemContext at startup.
func EnsureBuiltins(ctx context.Context, db *store.DB) (int, error) {
	if err := ensureMeta(ctx, db.Client, MetaRulesVersion); err != nil {
		return 0, err
	}
	added := 0
	now := db.Now()
	err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		// Replicas starting at once: on PostgreSQL one at a time reads
		// what is there and adds the rest (the others then find it all);
		// SQLite's write transactions are serialized already.
		if db.Dialect == dialect.Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(builtinsLock)); err != nil {
				return fmt.Errorf("lock built-in rules: %w", err)
			}
		}
		have, err := tx.PlanRule.Query().Select(planrule.FieldKey).Strings(ctx)
		if err != nil {
			return err
		}
		for _, r := range Builtins() {
			if slices.Contains(have, r.Key) {
				continue
			}
			if err := tx.PlanRule.Create().SetKey(r.Key).SetName(r.Name).SetDescription(r.Description).
				SetEnabled(true).SetBuiltin(true).SetRevision(1).SetPriority(planrule.Priority(r.Priority)).
				SetScenario(planrule.Scenario(r.Scenario)).SetConditions(r.Conditions).SetStep(r.Step).
				SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
				return err
			}
			added++
		}
		if added > 0 {
			_, err = bumpRulesVersion(ctx, tx, now)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ensure built-in plan rules: %w", err)
	}
	return added, nil
}
