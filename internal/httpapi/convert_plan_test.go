package httpapi

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
)

func TestToolkitContentRoundTrip(t *testing.T) {
	for name, c := range map[string]domain.ToolkitContent{
		"script":    {Sections: []domain.ScriptSection{{Title: "开场", Lines: []string{"{customer.name}您好"}}, {Title: "结束", Lines: []string{}}}},
		"checklist": {Items: []domain.ChecklistItem{{Key: "a", Label: "核对身份", Required: true}, {Key: "b", Label: "讲解条款"}}},
		"flowchart": {Nodes: []domain.FlowchartNode{{ID: "s", Label: "开始", Kind: "start"}, {ID: "d", Label: "是否报案", Kind: "decision"}},
			Edges: []domain.FlowchartEdge{{From: "s", To: "d"}, {From: "d", To: "s", Label: "否"}}},
		"template": {Body: "尊敬的{customer.title}：……"},
		"empty":    {},
	} {
		if diff := cmp.Diff(c, toolkitContentFromAPI(toolkitContentToAPI(c))); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", name, diff)
		}
	}
}

func TestPlanRuleRoundTrip(t *testing.T) {
	for _, in := range plan.Builtins() {
		in.Enabled = nil
		r := plan.Rule{Key: in.Key, Name: in.Name, Description: in.Description, Enabled: true, Priority: in.Priority,
			Scenario: in.Scenario, Conditions: in.Conditions, Step: in.Step}
		out := planRuleToAPI(r)
		back := planRuleFromAPI(api.PlanRuleInput{Key: out.Key, Name: out.Name, Description: out.Description,
			Priority: out.Priority, Scenario: out.Scenario, Conditions: out.Conditions, Step: out.Step})
		if diff := cmp.Diff(in, back); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", in.Key, diff)
		}
	}
}

func TestTaskWithoutDueDate(t *testing.T) {
	created := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	got := taskToAPI(&ent.Task{ID: uuid.New(), Version: 1, Title: "t", Priority: "low", Status: "todo", CreatedAt: created, UpdatedAt: created})
	if got.DueAt != nil || got.AgentId != nil || got.ToolkitItemIds == nil || got.Checklist == nil ||
		got.Description != nil || got.SkipReason != nil || got.Scenario != nil {
		t.Errorf("task = %+v", got)
	}
}

func TestPortraitDefaults(t *testing.T) {
	c := &ent.Customer{ID: uuid.New(), Name: "王芳"}
	p := &ent.Portrait{ID: uuid.New(), Version: 1, CustomerID: c.ID, ChurnRisk: domain.ChurnRisk{Score: 0.7},
		Nps: []domain.NpsEntry{{Score: 3, AnsweredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}}
	got := portraitToAPI(p, c, customer.Personal{})
	if got.ChurnRisk.Level != "high" || got.LifeStage != "unknown" || got.PoliciesSummary.Currency != "CNY" ||
		got.PoliciesSummary.LinesHeld == nil || got.CoverageGaps == nil || got.Timeline == nil ||
		got.Nps[0].CustomerId != c.ID || !got.Nps[0].CreatedAt.Equal(got.Nps[0].AnsweredAt) {
		t.Errorf("portrait = %+v", got)
	}
}
