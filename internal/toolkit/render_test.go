package toolkit_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait/portraittest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestRender(t *testing.T) {
	cu := &ent.Customer{Name: "王芳", Gender: customer.GenderFemale}
	pol := &ent.InsurancePolicy{Number: "P2026000123", ProductName: "安康重疾", Line: insurancepolicy.LineCriticalIllness,
		PremiumCents: 856000, Currency: "CNY", PaymentFrequency: insurancepolicy.PaymentFrequencyAnnual,
		StartDate: *day(2024, 3, 20), RenewalDate: day(2026, 3, 20), NextPremiumDueDate: day(2026, 3, 20)}
	ag := &ent.Agent{Username: "agent1", DisplayName: "李明"}
	item := toolkit.Item{Revision: 2, Locale: "zh-CN", Content: domain.ToolkitContent{
		Sections: []domain.ScriptSection{
			{Title: "开场", Lines: []string{"{customer.title}您好，我是您的保险顾问{agent.name}。"}},
			{Title: "提醒", Lines: []string{
				"您的{policy.line}保单 {policy.number} 将于 {policy.next_premium_due_date} 缴纳续期保费 {policy.premium}（{policy.payment_frequency}）。",
				"生日 {customer.birth_date}；昵称 {customer.nickname}；{不是占位符} {policy.number",
			}},
		},
	}}
	tests := []struct {
		name           string
		in             toolkit.RenderInput
		wantLines      []string
		wantUnresolved []string
	}{
		{"zh-CN with a policy", toolkit.RenderInput{Item: item, Customer: cu, Policy: pol, Agent: ag},
			[]string{
				"王女士您好，我是您的保险顾问李明。",
				"您的重疾险保单 P2026000123 将于 2026-03-20 缴纳续期保费 8,560.00 元（年缴）。",
				"生日 {customer.birth_date}；昵称 {customer.nickname}；{不是占位符} {policy.number",
			},
			[]string{"{customer.birth_date}", "{customer.nickname}"}},
		{"en without a policy", toolkit.RenderInput{Item: item, Customer: cu, Agent: ag, Locale: "en"},
			[]string{
				"Ms. 王芳您好，我是您的保险顾问李明。",
				"您的{policy.line}保单 {policy.number} 将于 {policy.next_premium_due_date} 缴纳续期保费 {policy.premium}（{policy.payment_frequency}）。",
				"生日 {customer.birth_date}；昵称 {customer.nickname}；{不是占位符} {policy.number",
			},
			[]string{"{customer.birth_date}", "{customer.nickname}", "{policy.line}", "{policy.next_premium_due_date}",
				"{policy.number}", "{policy.payment_frequency}", "{policy.premium}"}},
		{"nothing given never panics", toolkit.RenderInput{Item: item},
			[]string{
				"{customer.title}您好，我是您的保险顾问{agent.name}。",
				"您的{policy.line}保单 {policy.number} 将于 {policy.next_premium_due_date} 缴纳续期保费 {policy.premium}（{policy.payment_frequency}）。",
				"生日 {customer.birth_date}；昵称 {customer.nickname}；{不是占位符} {policy.number",
			},
			[]string{"{agent.name}", "{customer.birth_date}", "{customer.nickname}", "{customer.title}", "{policy.line}",
				"{policy.next_premium_due_date}", "{policy.number}", "{policy.payment_frequency}", "{policy.premium}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toolkit.Render(tt.in)
			var lines []string
			for _, s := range got.Content.Sections {
				lines = append(lines, s.Lines...)
			}
			if diff := cmp.Diff(tt.wantLines, lines); diff != "" {
				t.Errorf("lines mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUnresolved, got.Unresolved); diff != "" {
				t.Errorf("unresolved mismatch (-want +got):\n%s", diff)
			}
			if got.Revision != 2 {
				t.Errorf("revision %d", got.Revision)
			}
		})
	}
	if item.Content.Sections[0].Lines[0] != "{customer.title}您好，我是您的保险顾问{agent.name}。" {
		t.Error("Render changed the item")
	}
}

func TestRenderOtherKinds(t *testing.T) {
	item := toolkit.Item{Locale: "zh-CN", Content: domain.ToolkitContent{
		Items: []domain.ChecklistItem{{Key: "id", Label: "核对{customer.name}的身份证件"}},
		Nodes: []domain.FlowchartNode{{ID: "a", Label: "{customer.name}报案", Kind: "start"}},
		Edges: []domain.FlowchartEdge{{From: "a", To: "a", Label: "{agent.name}"}},
		Body:  "尊敬的{customer.name}：",
	}}
	got := toolkit.Render(toolkit.RenderInput{Item: item, Customer: &ent.Customer{Name: "张伟"}})
	want := domain.ToolkitContent{
		Items: []domain.ChecklistItem{{Key: "id", Label: "核对张伟的身份证件"}},
		Nodes: []domain.FlowchartNode{{ID: "a", Label: "张伟报案", Kind: "start"}},
		Edges: []domain.FlowchartEdge{{From: "a", To: "a", Label: "{agent.name}"}},
		Body:  "尊敬的张伟：",
	}
	if diff := cmp.Diff(want, got.Content); diff != "" {
		t.Errorf("content mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateContent(t *testing.T) {
	fe := func(field, code string) apperr.FieldError { return apperr.FieldError{Field: field, Code: code} }
	tests := []struct {
		name string
		kind string
		c    domain.ToolkitContent
		want []apperr.FieldError
	}{
		{"script", "script", script("你好"), nil},
		{"script without sections", "script", domain.ToolkitContent{}, []apperr.FieldError{fe("/content/sections", "required")}},
		{"section without lines", "script", domain.ToolkitContent{Sections: []domain.ScriptSection{{Title: "开场", Lines: []string{" "}}}},
			[]apperr.FieldError{fe("/content/sections/0/lines", "required")}},
		{"script with checklist items", "script", domain.ToolkitContent{Sections: script("你好").Sections, Items: []domain.ChecklistItem{{Key: "a", Label: "a"}}},
			[]apperr.FieldError{fe("/content/items", "unused")}},
		{"checklist", "checklist", domain.ToolkitContent{Items: []domain.ChecklistItem{{Key: "a", Label: "甲"}, {Key: "b", Label: "乙"}}}, nil},
		{"checklist keys twice and empty", "checklist", domain.ToolkitContent{Items: []domain.ChecklistItem{{Key: "a", Label: "甲"}, {Key: "a", Label: "乙"}, {Key: "", Label: "丙"}}},
			[]apperr.FieldError{fe("/content/items/1/key", "duplicate"), fe("/content/items/2/key", "length")}},
		{"empty checklist", "checklist", domain.ToolkitContent{}, []apperr.FieldError{fe("/content/items", "required")}},
		{"flowchart", "flowchart", domain.ToolkitContent{
			Nodes: []domain.FlowchartNode{{ID: "s", Label: "报案", Kind: "start"}, {ID: "e", Label: "结案", Kind: "end"}},
			Edges: []domain.FlowchartEdge{{From: "s", To: "e"}}}, nil},
		{"flowchart with bad nodes and edges", "flowchart", domain.ToolkitContent{
			Nodes: []domain.FlowchartNode{{ID: "s", Label: "报案", Kind: "start"}, {ID: "s", Label: "again", Kind: "oval"}},
			Edges: []domain.FlowchartEdge{{From: "s", To: "x"}}},
			[]apperr.FieldError{fe("/content/nodes/1/id", "duplicate"), fe("/content/nodes/1/kind", "enum"), fe("/content/edges/0/to", "unknown_node")}},
		{"template", "template", domain.ToolkitContent{Body: "尊敬的{customer.name}"}, nil},
		{"template without body", "template", domain.ToolkitContent{}, []apperr.FieldError{fe("/content/body", "required")}},
		{"unknown kind", "video", domain.ToolkitContent{}, []apperr.FieldError{fe("/kind", "enum")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toolkit.ValidateContent(tt.kind, tt.c)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(apperr.FieldError{}, "Message"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ValidateContent mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderFor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed := portraittest.New(t, db)
		ag := seed.Agent("Asia/Shanghai")
		cu := seed.Customer(ag, *day(2025, 1, 1), nil)
		pol := seed.Policy(cu, *day(2024, 3, 20), nil)
		other := seed.Customer(ag, *day(2025, 1, 1), nil)
		otherPol := seed.Policy(other, *day(2024, 3, 20), nil)
		it, err := toolkit.Create(admin(), db, renewalScript())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := toolkit.RenderFor(agentOf(ag), db, toolkit.RenderRequest{ItemID: it.ID, CustomerID: cu.ID}); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("render a draft: %v", err)
		}
		if _, err := toolkit.Publish(admin(), db, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := toolkit.RenderFor(agent(), db, toolkit.RenderRequest{ItemID: it.ID, CustomerID: cu.ID}); apperr.KindOf(err) != apperr.KindNotFound {
			t.Errorf("render for another agent's customer: %v", err)
		}
		got, err := toolkit.RenderFor(agentOf(ag), db, toolkit.RenderRequest{ItemID: it.ID, CustomerID: cu.ID, PolicyID: &pol.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := "王芳您好，您的保单 " + pol.Number + " 将于 {policy.renewal_date} 续保。"
		if got.Content.Sections[0].Lines[0] != want || len(got.Unresolved) != 1 || got.Revision != 1 {
			t.Errorf("rendered %q %v, want %q", got.Content.Sections[0].Lines[0], got.Unresolved, want)
		}
		if _, err := toolkit.RenderFor(agentOf(ag), db, toolkit.RenderRequest{ItemID: it.ID, CustomerID: cu.ID, PolicyID: &otherPol.ID}); apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("render with another customer's policy: %v", err)
		}
	})
}
