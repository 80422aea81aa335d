package quality_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitusage"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func TestRecordInteractionValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 10, 12, 0)
		f := newFixture(t, db, now)
		consult := mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer, Channel: "wechat", Type: "consultation",
			Content: "重疾险等待期多久？", ReceivedAt: ptr(now.Add(-2 * time.Hour))})
		revisit := mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer, Channel: "phone", Type: "revisit",
			Content: "回访", ReceivedAt: ptr(now.Add(-3 * time.Hour))})
		otherCustomers := mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer2, Channel: "phone", Type: "consultation",
			Content: "咨询", ReceivedAt: ptr(now.Add(-3 * time.Hour))})
		var otherTask uuid.UUID
		err := db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
			otherTask = tx.Task.Create().SetCustomerID(f.customer2).SetTitle("回访").SaveX(ctx).ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		valid := func(mod func(*quality.InteractionInput)) quality.InteractionInput {
			in := quality.InteractionInput{CustomerID: f.customer, Channel: "phone", Type: "consultation", Content: "您好"}
			mod(&in)
			return in
		}
		tests := []struct {
			name string
			in   quality.InteractionInput
			want problem
		}{
			{"bad enums and empty content", valid(func(in *quality.InteractionInput) {
				in.Channel, in.Type, in.Content = "fax", "gossip", ""
			}), problem{"invalid", []string{"/channel", "/type", "/content"}}},
			{"too long", valid(func(in *quality.InteractionInput) {
				in.Content = strings.Repeat("保", quality.MaxContentLength+1)
				in.Result = strings.Repeat("x", quality.MaxResultLength+1)
				in.Feedback = strings.Repeat("好", quality.MaxFeedbackLength+1)
			}), problem{"invalid", []string{"/content", "/result", "/feedback"}}},
			{"longest content is fine", valid(func(in *quality.InteractionInput) {
				in.Content = strings.Repeat("保", quality.MaxContentLength)
			}), problem{}},
			{"received in the future", valid(func(in *quality.InteractionInput) {
				in.ReceivedAt = ptr(now.Add(quality.MaxClockSkew + time.Second))
			}), problem{"invalid", []string{"/received_at"}}},
			{"small clock skew is fine", valid(func(in *quality.InteractionInput) {
				in.ReceivedAt = ptr(now.Add(quality.MaxClockSkew))
			}), problem{}},
			{"response before receipt", valid(func(in *quality.InteractionInput) {
				in.ReceivedAt = ptr(now.Add(-time.Hour))
				in.FirstResponseAt = ptr(now.Add(-2 * time.Hour))
			}), problem{"invalid", []string{"/first_response_at"}}},
			{"answers nothing known", valid(func(in *quality.InteractionInput) {
				in.AnswersInteractionID = ptr(uuid.New())
			}), problem{"invalid", []string{"/answers_interaction_id"}}},
			{"answers another customer's consultation", valid(func(in *quality.InteractionInput) {
				in.AnswersInteractionID = &otherCustomers.ID
			}), problem{"invalid", []string{"/answers_interaction_id"}}},
			{"answers a revisit", valid(func(in *quality.InteractionInput) {
				in.AnswersInteractionID = &revisit.ID
			}), problem{"invalid", []string{"/answers_interaction_id"}}},
			{"answers itself", valid(func(in *quality.InteractionInput) {
				id := uuid.New()
				in.ID, in.AnswersInteractionID = &id, &id
			}), problem{"invalid", []string{"/answers_interaction_id"}}},
			{"answer before the question", valid(func(in *quality.InteractionInput) {
				in.AnswersInteractionID = &consult.ID
				in.ReceivedAt = ptr(consult.ReceivedAt.Add(-time.Minute))
			}), problem{"invalid", []string{"/received_at"}}},
			{"unknown toolkit item, by index", valid(func(in *quality.InteractionInput) {
				in.ToolkitItemIDs = []uuid.UUID{uuid.New()}
			}), problem{"invalid", []string{"/toolkit_item_ids/0"}}},
			{"another customer's task, unknown plan step", valid(func(in *quality.InteractionInput) {
				in.TaskID, in.PlanStepID = &otherTask, ptr(uuid.New())
			}), problem{"invalid", []string{"/task_id", "/plan_step_id"}}},
			{"unknown customer", valid(func(in *quality.InteractionInput) {
				in.CustomerID = uuid.New()
			}), problem{Kind: "not_found"}},
			{"existing ID", valid(func(in *quality.InteractionInput) {
				in.ID = &consult.ID
			}), problem{Kind: "conflict"}},
		}
		for _, tt := range tests {
			_, err := f.svc.RecordInteraction(f.ctx, tt.in)
			if diff := cmp.Diff(tt.want, problemOf(err)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

func TestAnsweringClosesTheClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 10, 18, 0)
		f := newFixture(t, db, now)
		var item *ent.ToolkitItem
		err := db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
			item = tx.ToolkitItem.Create().SetKey("consult-script").SetKind(toolkititem.KindScript).
				SetScenario(toolkititem.ScenarioConsultation).SetTitle("咨询话术").
				SetStatus(toolkititem.StatusPublished).SetRevision(3).SaveX(ctx)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		asked := local(2026, 3, 10, 9, 0)
		c := mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer, Channel: "wechat", Type: "consultation",
			Content: "理赔需要哪些材料？", ReceivedAt: &asked})
		if c.FirstResponseAt != nil || c.AgentID == nil || *c.AgentID != f.agent {
			t.Fatalf("new consultation: first_response_at %v, agent %v", c.FirstResponseAt, c.AgentID)
		}
		answer := func(at time.Time, items ...uuid.UUID) *ent.Interaction {
			t.Helper()
			return mustRecord(t, f, quality.InteractionInput{CustomerID: f.customer, Channel: "phone", Type: "claim_assistance",
				Content: "已告知理赔材料清单", ReceivedAt: &at, AnswersInteractionID: &c.ID, ToolkitItemIDs: items})
		}
		reload := func() *ent.Interaction {
			t.Helper()
			got, err := db.Client.Interaction.Get(f.ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		a1 := answer(local(2026, 3, 10, 12, 0), item.ID, item.ID)
		got := reload()
		if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(local(2026, 3, 10, 12, 0)) || got.Version != 2 {
			t.Fatalf("after the answer: first_response_at %v, version %d", got.FirstResponseAt, got.Version)
		}
		// A later answer leaves the clock; one made earlier offline and
		// synced late moves it back.
		answer(local(2026, 3, 10, 15, 0))
		if got := reload(); !got.FirstResponseAt.Equal(local(2026, 3, 10, 12, 0)) || got.Version != 2 {
			t.Errorf("later answer moved the clock to %v (version %d)", got.FirstResponseAt, got.Version)
		}
		answer(local(2026, 3, 10, 10, 30))
		if got := reload(); !got.FirstResponseAt.Equal(local(2026, 3, 10, 10, 30)) || got.Version != 3 {
			t.Errorf("earlier answer: clock at %v (version %d)", got.FirstResponseAt, got.Version)
		}
		uses, err := db.Client.ToolkitUsage.Query().Where(toolkitusage.InteractionID(a1.ID)).All(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(uses) != 1 || uses[0].ItemID != item.ID || uses[0].Revision != 3 || *uses[0].CustomerID != f.customer ||
			*uses[0].AgentID != f.agent || !uses[0].UsedAt.Equal(a1.ReceivedAt) {
			t.Errorf("toolkit usage of the answer: %+v", uses)
		}
		if diff := cmp.Diff([]uuid.UUID{item.ID}, a1.ToolkitItemIds); diff != "" {
			t.Errorf("toolkit_item_ids mismatch (-want +got):\n%s", diff)
		}
		n, err := db.Client.Interaction.Query().Where(interaction.AnswersInteractionID(c.ID)).Count(f.ctx)
		if err != nil || n != 3 {
			t.Errorf("answers stored: %d, %v", n, err)
		}
	})
}

func mustRecord(t *testing.T, f *fixture, in quality.InteractionInput) *ent.Interaction {
	t.Helper()
	row, err := f.svc.RecordInteraction(f.ctx, in)
	if err != nil {
		t.Fatalf("record interaction: %v", err)
	}
	return row
}

func TestRecordInteractionAttribution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := local(2026, 3, 10, 12, 0)
		f := newFixture(t, db, now)
		var colleague, taskID, stepID uuid.UUID
		err := db.WithTx(f.ctx, func(ctx context.Context, tx *ent.Tx) error {
			colleague = tx.Agent.Create().SetUsername("agent2").SetPasswordHash("x").SaveX(ctx).ID
			plan := tx.ServicePlan.Create().SetCustomerID(f.customer).SaveX(ctx)
			stepID = tx.PlanStep.Create().SetPlanID(plan.ID).SetPosition(0).SetRuleKey("revisit").
				SetScenario(planstep.ScenarioPolicyDeliveryRevisit).SetTitle("回访").SaveX(ctx).ID
			taskID = tx.Task.Create().SetCustomerID(f.customer).SetPlanStepID(stepID).SetTitle("回访").SaveX(ctx).ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		in := quality.InteractionInput{CustomerID: f.customer, Channel: "visit", Type: "revisit", Content: "上门回访",
			TaskID: &taskID, PlanStepID: &stepID}
		// A colleague standing in records the visit: it is theirs.
		asColleague := auth.WithViewer(f.ctx, &auth.Viewer{Kind: auth.KindAgent, AgentID: colleague, Role: auth.RoleAgent})
		got, err := f.svc.RecordInteraction(asColleague, in)
		if err != nil {
			t.Fatal(err)
		}
		if *got.AgentID != colleague || *got.TaskID != taskID || *got.PlanStepID != stepID || !got.ReceivedAt.Equal(now) {
			t.Errorf("recorded by a colleague: %+v", got)
		}
		// An integrator names the agent; without a name it is the customer's.
		in.AgentID = &colleague
		if got, err := f.svc.RecordInteraction(f.ctx, in); err != nil || *got.AgentID != colleague {
			t.Errorf("named agent: %v, %v", err, got)
		}
		in.AgentID = nil
		if got, err := f.svc.RecordInteraction(f.ctx, in); err != nil || *got.AgentID != f.agent {
			t.Errorf("system: %v, %v", err, got)
		}
	})
}
