package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/auditentry"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/planrule"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/product"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitrevision"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestEveryEntityRoundTrips writes one fully populated row of every entity
// and reads it back unchanged, on both databases.
func TestEveryEntityRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := sys()
		at := time.Date(2026, 11, 22, 9, 30, 15, 123456000, time.UTC)
		day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
		ptr := func(t time.Time) *time.Time { return &t }
		var created []any
		keep := func(v any, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("create %T: %v", v, err)
			}
			created = append(created, v)
		}
		err := db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			team, err := tx.Team.Create().SetName("A组").SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(team, err)
			ag, err := tx.Agent.Create().SetUsername("agent1").SetDisplayName("王小明").SetRole(agent.RoleTeamLead).
				SetTeamID(team.ID).SetTimeZone("Asia/Urumqi").SetLocale("en").SetPasswordHash("$argon2id$x").
				SetDisabled(true).SetDisabledAt(at).SetScopeEpoch(3).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(ag, err)
			cl, err := tx.IntegratorClient.Create().SetClientID("pas").SetName("保单系统").SetSecretHash("h").
				SetScopes([]string{"customers:read"}).SetLastUsedAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(cl, err)
			rt, err := tx.RefreshToken.Create().SetAgentID(ag.ID).SetFamilyID(uuid.New()).SetTokenHash("th").
				SetExpiresAt(at.Add(time.Hour)).SetSpentAt(at).SetRevokedAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(rt, err)
			ae, err := tx.AuditEntry.Create().SetAt(at).SetActorKind(auditentry.ActorKindAgent).SetActorID(ag.ID.String()).
				SetAction("read_pii").SetSubjectType("customer").SetSubjectID("x").SetFields([]string{"phone"}).
				SetReason("GET /v1/customers/{id}").SetRequestID("r1").Save(ctx)
			keep(ae, err)
			pr, err := tx.Product.Create().SetCode("CI-01").SetName("安康重疾").SetLine(product.LineCriticalIllness).
				SetHesitationDays(20).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(pr, err)
			cu, err := tx.Customer.Create().SetAgentID(ag.ID).SetExternalID("C-1").SetName("王芳").
				SetPhoneEnc("k1:abc").SetPhoneHash("ph").SetIDNumberEnc("k1:def").SetIDNumberHash("ih").
				SetBirthDate(day(1988, 2, 29)).SetGender(customer.GenderFemale).SetOccupation("教师").
				SetIncomeBand(customer.IncomeBandMiddle).
				SetFamily(domain.Family{Spouse: true, Children: []domain.Child{{BirthYear: 2016}}, Dependants: 1}).
				SetHealthNotesEnc("k1:ghi").SetRiskPreference(customer.RiskPreferenceBalanced).
				SetPreferredChannel(customer.PreferredChannelWechat).
				SetConsent(domain.Consent{Push: true, DataProcessing: true, UpdatedAt: ptr(at)}).
				SetTags([]string{"高净值", "续保"}).SetLifeStage(customer.LifeStageYoungFamily).SetErasedAt(at).
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(cu, err)
			po, err := tx.Portrait.Create().SetCustomerID(cu.ID).SetLifeStage("young_family").
				SetPoliciesSummary(domain.PolicySummary{Count: 1, ActiveCount: 1, LinesHeld: []string{"life"}, TotalAnnualPremiumCents: 500000, TotalSumAssuredCents: 1e8, Currency: "CNY"}).
				SetCoverageGaps([]domain.CoverageGap{{Line: "health", Reason: "young family without health cover"}}).
				SetChurnRisk(domain.ChurnRisk{Score: 0.42, Level: "medium", Factors: []domain.ChurnFactor{{Name: "days_since_contact", Weight: 0.3, Value: 95, Contribution: 0.3}}}).
				SetLastContactAt(at).SetOpenComplaints(1).SetClaims(domain.ClaimsSummary{Count: 2, Open: 1, PaidCents: 1200}).
				SetYearsWithoutClaim(3).SetNps([]domain.NpsEntry{{Score: 9, AnsweredAt: at}}).
				SetTimeline([]domain.TimelineEvent{{At: at, Kind: "interaction", RefID: uuid.New(), Title: "电话回访"}}).
				SetComputedAt(at).SetInputsHash("ih").SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(po, err)
			pol, err := tx.InsurancePolicy.Create().SetCustomerID(cu.ID).SetExternalID("P-1").SetNumber("P2026000123").
				SetProductCode("CI-01").SetProductName("安康重疾").SetLine(insurancepolicy.LineCriticalIllness).
				SetInsuredName("王芳").SetHolderName("王芳").SetPremiumCents(520000).SetSumAssuredCents(50000000).
				SetCurrency("CNY").SetPaymentFrequency(insurancepolicy.PaymentFrequencyMonthly).SetStartDate(day(2024, 12, 31)).
				SetNextPremiumDueDate(day(2026, 11, 30)).SetRenewalDate(day(2027, 12, 31)).SetStatus(insurancepolicy.StatusGrace).
				SetMissedPayments(1).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(pol, err)
			nps, err := tx.NpsAnswer.Create().SetCustomerID(cu.ID).SetAgentID(ag.ID).SetScore(10).SetComment("很好").
				SetAnsweredAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(nps, err)
			content := domain.ToolkitContent{Sections: []domain.ScriptSection{{Title: "开场", Lines: []string{"您好 {customer.name}"}}}}
			ti, err := tx.ToolkitItem.Create().SetKey("renewal-script").SetKind(toolkititem.KindScript).
				SetScenario(toolkititem.ScenarioRenewal).SetTier(toolkititem.TierAdvanced).SetLocale(toolkititem.LocaleZhCN).
				SetTitle("续保话术").SetSummary("s").SetTags([]string{"续保"}).SetStatus(toolkititem.StatusPublished).
				SetRevision(2).SetContent(content).SetPublishedAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(ti, err)
			tr, err := tx.ToolkitRevision.Create().SetItemID(ti.ID).SetNumber(2).SetStatus(toolkitrevision.StatusPublished).
				SetTitle("续保话术").SetSummary("s").SetTags([]string{"续保"}).SetContent(content).SetAuthorID(ag.ID).
				SetPublishedAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(tr, err)
			rule, err := tx.PlanRule.Create().SetKey("premium-due-3d").SetName("缴费提醒").SetDescription("d").
				SetEnabled(true).SetBuiltin(true).SetRevision(2).SetPriority(planrule.PriorityHigh).
				SetScenario(planrule.ScenarioPaymentReminder).
				SetConditions([]domain.RuleCondition{{Fact: "policy.next_premium_due_in_days", Op: "lte", Value: float64(3)}}).
				SetStep(domain.RuleStep{Title: "缴费提醒电话", Due: domain.RuleDue{Event: "policy.next_premium_due_date", OffsetDays: -3}, ToolkitItemKeys: []string{"renewal-script"}}).
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(rule, err)
			sp, err := tx.ServicePlan.Create().SetCustomerID(cu.ID).SetGeneratedAt(at).SetRulesVersion(7).
				SetInputsHash("x").SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(sp, err)
			tk, err := tx.Task.Create().SetCustomerID(cu.ID).SetAgentID(ag.ID).SetRuleKey("premium-due-3d").
				SetScenario(task.ScenarioPaymentReminder).SetTitle("缴费提醒电话").SetDescription("d").
				SetPriority(task.PriorityHigh).SetStatus(task.StatusSkipped).SetDueAt(at).SetCompletedAt(at).
				SetSkipReason("客户已缴费").SetToolkitItemIds([]uuid.UUID{ti.ID}).
				SetChecklist([]domain.ChecklistItem{{Key: "confirm", Label: "确认缴费方式", Checked: true}}).
				SetCreatedBy(ag.ID).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(tk, err)
			st, err := tx.PlanStep.Create().SetPlanID(sp.ID).SetPosition(0).SetRuleKey("premium-due-3d").SetRuleRevision(2).
				SetScenario(planstep.ScenarioPaymentReminder).SetTitle("缴费提醒电话").SetPriority(planstep.PriorityHigh).
				SetDueAt(at).SetStatus(planstep.StatusSkipped).SetTaskID(tk.ID).SetToolkitItemIds([]uuid.UUID{ti.ID}).
				SetChecklist([]domain.ChecklistItem{{Key: "confirm", Label: "确认缴费方式"}}).SetDedupeKey("k").
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(st, err)
			in, err := tx.Interaction.Create().SetCustomerID(cu.ID).SetAgentID(ag.ID).SetChannel(interaction.ChannelWechat).
				SetType(interaction.TypeConsultation).SetContent("客户咨询重疾险等待期").SetResult("已解答").SetFeedback("满意").
				SetReceivedAt(at).SetFirstResponseAt(at.Add(time.Minute)).SetAnswersInteractionID(uuid.New()).
				SetTaskID(tk.ID).SetPlanStepID(st.ID).SetToolkitItemIds([]uuid.UUID{ti.ID}).
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(in, err)
			tu, err := tx.ToolkitUsage.Create().SetItemID(ti.ID).SetRevision(2).SetAgentID(ag.ID).SetCustomerID(cu.ID).
				SetInteractionID(in.ID).SetTaskID(tk.ID).SetUsedAt(at).Save(ctx)
			keep(tu, err)
			co, err := tx.Complaint.Create().SetCustomerID(cu.ID).SetAgentID(ag.ID).SetPolicyID(pol.ID).
				SetStatus(complaint.StatusEscalated).SetCategory(complaint.CategoryClaimTimeliness).
				SetSeverity(complaint.SeverityHigh).SetSummary("理赔太慢").SetDetails("d").SetReceivedAt(at).
				SetAcknowledgedAt(at).SetResolvedAt(at).SetClosedAt(at).SetEscalatedAt(at).SetRootCause("rc").
				SetCorrectiveAction("ca").SetResolution("r").SetAckDueAt(at).SetAnswerDueAt(at).SetCloseDueAt(at).
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(co, err)
			ca, err := tx.Claim.Create().SetCustomerID(cu.ID).SetPolicyID(pol.ID).SetAgentID(ag.ID).
				SetStatus(claim.StatusPaid).SetDescription("住院").SetAmountClaimedCents(100).SetAmountPaidCents(90).
				SetDecision(claim.DecisionApproved).SetFiledAt(at).SetAcceptedAt(at).SetDocumentsCompleteAt(at).
				SetDecidedAt(at).SetPaidAt(at).SetClosedAt(at).SetAcceptDueAt(at).SetCloseDueAt(at).
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(ca, err)
			cd, err := tx.CalendarDay.Create().SetDate(day(2026, 10, 1)).SetWorkingDay(false).SetNote("国庆节").
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(cd, err)
			dv, err := tx.Device.Create().SetAgentID(ag.ID).SetCustomerID(cu.ID).SetToken("fcm-token").
				SetPlatform(device.PlatformIos).SetAppVersion("1.2.3").SetLocale("en").SetTimeZone("America/New_York").
				SetEnabled(false).SetDisabledReason("unregistered").SetLastSeenAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(dv, err)
			no, err := tx.Notification.Create().SetAgentID(ag.ID).SetCustomerID(cu.ID).SetPolicyID(pol.ID).
				SetKind(notification.KindRenewalDue).SetTitle("续保提醒").SetBody("b").SetData(map[string]string{"policy_id": pol.ID.String()}).
				SetDeepLink("agentdesk://customers/x/plan").SetReadAt(at).SetDedupeKey("dk").SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(no, err)
			re, err := tx.Reminder.Create().SetPolicyID(pol.ID).SetCustomerID(cu.ID).SetRecipientKind(reminder.RecipientKindAgent).
				SetRecipientID(ag.ID).SetDueKind(reminder.DueKindRenewal).SetDueDate(day(2027, 12, 31)).SetWindowDays(30).
				SetScheduledFor(at).SetStatus(reminder.StatusSent).SetAttempts(2).SetNextAttemptAt(at).SetLeaseOwner("w1").
				SetLeaseUntil(at).SetSentAt(at).SetLastError("e").SetProviderMessageID("m").SetNotificationID(no.ID).
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(re, err)
			da, err := tx.DeliveryAttempt.Create().SetReminderID(re.ID).SetDeviceID(dv.ID).SetAt(at).
				SetOutcome(deliveryattempt.OutcomeTransientError).SetProviderMessageID("m").SetErrorCode("UNAVAILABLE").
				SetRetryAfterSeconds(30).Save(ctx)
			keep(da, err)
			ws, err := tx.WebhookSubscription.Create().SetClientID(cl.ID).SetURL("https://crm.example.com/hook").
				SetEvents([]string{"customer.updated"}).SetSecretEnc("k1:s").SetActive(true).SetDescription("CRM").
				SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(ws, err)
			wd, err := tx.WebhookDelivery.Create().SetSubscriptionID(ws.ID).SetEvent("customer.updated").SetEventID(uuid.New()).
				SetSubjectID(cu.ID.String()).SetPayload(`{"a":1}`).SetStatus(webhookdelivery.StatusFailed).
				SetAttempts([]domain.WebhookAttempt{{At: at, StatusCode: 500, DurationMS: 12}}).SetNextAttemptAt(at).
				SetLeaseOwner("w").SetLeaseUntil(at).SetDeliveredAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(wd, err)
			ir, err := tx.IdempotencyRecord.Create().SetActor("agent:x").SetKey("k").SetMethod("POST").SetPath("/v1/customers").
				SetRequestHash("rh").SetStatusCode(201).SetContentType("application/json").SetBody([]byte(`{}`)).
				SetExpiresAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(ir, err)
			sm, err := tx.SyncMutation.Create().SetAgentID(ag.ID).SetMutationID("m1").SetDeviceID("d1").SetCollection("tasks").
				SetRecordID(tk.ID).SetResult([]byte(`{"status":"applied"}`)).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
			keep(sm, err)
			me, err := tx.ServerMeta.Create().SetID("era").SetValue("e1").SetUpdatedAt(at).Save(ctx)
			keep(me, err)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		opts := cmp.Options{
			cmpopts.IgnoreUnexported(allEntities...),
			cmpopts.IgnoreFields(ent.Customer{}, "Edges"), // edges are not loaded by Get
			cmpopts.EquateEmpty(),
			cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		}
		for _, c := range created {
			got := reload(ctx, t, db.Client, c)
			if diff := cmp.Diff(c, got, opts, ignoreEdges); diff != "" {
				t.Errorf("%T did not round-trip (-wrote +read):\n%s", c, diff)
			}
		}
	})
}

var allEntities = []any{
	ent.Team{}, ent.Agent{}, ent.IntegratorClient{}, ent.RefreshToken{}, ent.AuditEntry{}, ent.Product{},
	ent.Customer{}, ent.Portrait{}, ent.InsurancePolicy{}, ent.NpsAnswer{}, ent.ToolkitItem{},
	ent.ToolkitRevision{}, ent.ToolkitUsage{}, ent.PlanRule{}, ent.ServicePlan{}, ent.PlanStep{}, ent.Task{},
	ent.Interaction{}, ent.Complaint{}, ent.Claim{}, ent.CalendarDay{}, ent.Device{}, ent.Notification{},
	ent.Reminder{}, ent.DeliveryAttempt{}, ent.WebhookSubscription{}, ent.WebhookDelivery{},
	ent.IdempotencyRecord{}, ent.SyncMutation{}, ent.ServerMeta{},
}

// ignoreEdges drops every entity's Edges field (loaded on demand only).
var ignoreEdges = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "Edges"
}, cmp.Ignore())

func reload(ctx context.Context, t *testing.T, c *ent.Client, v any) any {
	t.Helper()
	var (
		got any
		err error
	)
	switch e := v.(type) {
	case *ent.Team:
		got, err = c.Team.Get(ctx, e.ID)
	case *ent.Agent:
		got, err = c.Agent.Get(ctx, e.ID)
	case *ent.IntegratorClient:
		got, err = c.IntegratorClient.Get(ctx, e.ID)
	case *ent.RefreshToken:
		got, err = c.RefreshToken.Get(ctx, e.ID)
	case *ent.AuditEntry:
		got, err = c.AuditEntry.Get(ctx, e.ID)
	case *ent.Product:
		got, err = c.Product.Get(ctx, e.ID)
	case *ent.Customer:
		got, err = c.Customer.Get(ctx, e.ID)
	case *ent.Portrait:
		got, err = c.Portrait.Get(ctx, e.ID)
	case *ent.InsurancePolicy:
		got, err = c.InsurancePolicy.Get(ctx, e.ID)
	case *ent.NpsAnswer:
		got, err = c.NpsAnswer.Get(ctx, e.ID)
	case *ent.ToolkitItem:
		got, err = c.ToolkitItem.Get(ctx, e.ID)
	case *ent.ToolkitRevision:
		got, err = c.ToolkitRevision.Get(ctx, e.ID)
	case *ent.ToolkitUsage:
		got, err = c.ToolkitUsage.Get(ctx, e.ID)
	case *ent.PlanRule:
		got, err = c.PlanRule.Get(ctx, e.ID)
	case *ent.ServicePlan:
		got, err = c.ServicePlan.Get(ctx, e.ID)
	case *ent.PlanStep:
		got, err = c.PlanStep.Get(ctx, e.ID)
	case *ent.Task:
		got, err = c.Task.Get(ctx, e.ID)
	case *ent.Interaction:
		got, err = c.Interaction.Get(ctx, e.ID)
	case *ent.Complaint:
		got, err = c.Complaint.Get(ctx, e.ID)
	case *ent.Claim:
		got, err = c.Claim.Get(ctx, e.ID)
	case *ent.CalendarDay:
		got, err = c.CalendarDay.Get(ctx, e.ID)
	case *ent.Device:
		got, err = c.Device.Get(ctx, e.ID)
	case *ent.Notification:
		got, err = c.Notification.Get(ctx, e.ID)
	case *ent.Reminder:
		got, err = c.Reminder.Get(ctx, e.ID)
	case *ent.DeliveryAttempt:
		got, err = c.DeliveryAttempt.Get(ctx, e.ID)
	case *ent.WebhookSubscription:
		got, err = c.WebhookSubscription.Get(ctx, e.ID)
	case *ent.WebhookDelivery:
		got, err = c.WebhookDelivery.Get(ctx, e.ID)
	case *ent.IdempotencyRecord:
		got, err = c.IdempotencyRecord.Get(ctx, e.ID)
	case *ent.SyncMutation:
		got, err = c.SyncMutation.Get(ctx, e.ID)
	case *ent.ServerMeta:
		got, err = c.ServerMeta.Get(ctx, e.ID)
	default:
		t.Fatalf("reload: no case for %T", v)
	}
	if err != nil {
		t.Fatalf("reload %T: %v", v, err)
	}
	return got
}
