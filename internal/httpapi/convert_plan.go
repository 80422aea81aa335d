package httpapi

import (
	"strconv"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// This file holds the ent → api converters of the records the portrait,
// plan and toolkit capabilities serve (portraits, service plans, tasks,
// policies, toolkit items and plan rules). They are pure, so REST answers
// and sync data have the same shape.

// defaultCurrency is the currency of amounts whose record names none.
const defaultCurrency = "CNY"

// portraitToAPI converts a portrait with its customer, whose personal data
// is as revealed to the caller (masked: the portrait is not the customer's
// detail view).
// portraitToAPI is the portrait with its customer (masked identifiers)
// and timeline.
func portraitToAPI(p *ent.Portrait, c *ent.Customer, personal customer.Personal) api.Portrait {
	s := syncPortraitToAPI(p)
	timeline := make([]api.TimelineEntry, 0, len(p.Timeline))
	for _, ev := range p.Timeline {
		timeline = append(timeline, api.TimelineEntry{At: ev.At.UTC(), Kind: api.TimelineEntryKind(ev.Kind), RefId: ev.RefID,
			Title: ev.Title, Summary: nullIfEmpty(ev.Summary)})
	}
	return api.Portrait{Id: s.Id, Version: s.Version, CustomerId: s.CustomerId, Customer: customerToAPI(c, personal),
		LifeStage: s.LifeStage, PoliciesSummary: s.PoliciesSummary, CoverageGaps: s.CoverageGaps, ChurnRisk: s.ChurnRisk,
		LastContactAt: s.LastContactAt, OpenComplaints: s.OpenComplaints, Claims: s.Claims,
		YearsWithoutClaim: s.YearsWithoutClaim, Nps: s.Nps, Timeline: timeline, ComputedAt: s.ComputedAt,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// syncPortraitToAPI is the portrait as the native sync sends it: no
// customer and no timeline (the phone has them).
func syncPortraitToAPI(p *ent.Portrait) api.SyncPortrait {
	gaps := make([]api.CoverageGap, 0, len(p.CoverageGaps))
	for _, g := range p.CoverageGaps {
		gaps = append(gaps, api.CoverageGap{Line: api.PolicyLine(g.Line), Reason: g.Reason})
	}
	factors := make([]api.ChurnFactor, 0, len(p.ChurnRisk.Factors))
	for _, f := range p.ChurnRisk.Factors {
		factors = append(factors, api.ChurnFactor{Name: f.Name, Weight: f.Weight, Value: f.Value, Contribution: f.Contribution})
	}
	level := p.ChurnRisk.Level
	if level == "" {
		level = portrait.ChurnLevel(p.ChurnRisk.Score)
	}
	nps := make([]api.NpsAnswer, 0, len(p.Nps))
	for _, n := range p.Nps {
		nps = append(nps, npsEntryToAPI(p.CustomerID, n))
	}
	cur := claimCurrency
	stage := p.LifeStage
	if stage == "" {
		stage = portrait.StageUnknown
	}
	return api.SyncPortrait{
		Id:              p.ID,
		Version:         p.Version,
		CustomerId:      p.CustomerID,
		LifeStage:       api.LifeStage(stage),
		PoliciesSummary: policiesSummaryToAPI(p.PoliciesSummary),
		CoverageGaps:    gaps,
		ChurnRisk:       api.ChurnRisk{Score: p.ChurnRisk.Score, Level: api.ChurnRiskLevel(level), Factors: factors},
		LastContactAt:   utcTime(p.LastContactAt),
		OpenComplaints:  int32(p.OpenComplaints),
		Claims: api.ClaimsSummary{Count: int32(p.Claims.Count), Open: int32(p.Claims.Open), PaidCents: p.Claims.PaidCents,
			Currency: &cur},
		YearsWithoutClaim: int32(p.YearsWithoutClaim),
		Nps:               nps,
		ComputedAt:        p.ComputedAt.UTC(),
		CreatedAt:         p.CreatedAt.UTC(),
		UpdatedAt:         p.UpdatedAt.UTC(),
	}
}

func policiesSummaryToAPI(s domain.PolicySummary) api.PoliciesSummary {
	lines := make([]api.PolicyLine, 0, len(s.LinesHeld))
	for _, l := range s.LinesHeld {
		lines = append(lines, api.PolicyLine(l))
	}
	cur := s.Currency
	if cur == "" {
		cur = defaultCurrency
	}
	return api.PoliciesSummary{
		Count: int32(s.Count), ActiveCount: int32(s.ActiveCount), LinesHeld: lines,
		TotalAnnualPremiumCents: s.TotalAnnualPremiumCents, TotalSumAssuredCents: s.TotalSumAssuredCents, Currency: cur,
	}
}

// npsEntryToAPI converts an NPS answer as the portrait keeps it. A
// portrait computed before answers kept their record ID and recording
// time has the nil UUID and the time of the answer in their place, until
// it is recomputed.
func npsEntryToAPI(customerID uuid.UUID, n domain.NpsEntry) api.NpsAnswer {
	created := n.AnsweredAt.UTC()
	if n.CreatedAt != nil {
		created = n.CreatedAt.UTC()
	}
	return api.NpsAnswer{
		Id: n.ID, CustomerId: customerID, Score: int32(n.Score), Comment: nullIfEmpty(n.Comment),
		AnsweredAt: n.AnsweredAt.UTC(), InteractionId: n.InteractionID, CreatedAt: created,
	}
}

// servicePlanToAPI converts a plan with its steps in order.
func servicePlanToAPI(p *ent.ServicePlan, steps []*ent.PlanStep) api.ServicePlan {
	out := api.ServicePlan{
		Id:           p.ID,
		Version:      p.Version,
		CustomerId:   p.CustomerID,
		GeneratedAt:  p.GeneratedAt.UTC(),
		RulesVersion: strconv.FormatInt(p.RulesVersion, 10),
		Steps:        make([]api.PlanStep, 0, len(steps)),
		CreatedAt:    p.CreatedAt.UTC(),
		UpdatedAt:    p.UpdatedAt.UTC(),
	}
	for i, s := range steps {
		due := p.GeneratedAt
		if s.DueAt != nil {
			due = *s.DueAt
		}
		pos := int32(s.Position)
		if pos < 1 {
			pos = int32(i + 1)
		}
		out.Steps = append(out.Steps, api.PlanStep{
			Id:             s.ID,
			Position:       pos,
			RuleKey:        s.RuleKey,
			Scenario:       api.Scenario(s.Scenario),
			Title:          s.Title,
			Priority:       api.Priority(s.Priority),
			DueAt:          due.UTC(),
			Status:         api.TaskStatus(s.Status),
			TaskId:         s.TaskID,
			ToolkitItemIds: nonNilIDs(s.ToolkitItemIds),
			Checklist:      checklistToAPI(s.Checklist),
		})
	}
	return out
}

// taskToAPI converts a task. The contract has due_at required: a task
// without a due date (one made offline without it) shows its creation
// time, which sorts it as due.
func taskToAPI(t *ent.Task) api.Task {
	out := api.Task{
		Id:             t.ID,
		Version:        t.Version,
		CustomerId:     t.CustomerID,
		AgentId:        t.AgentID,
		PlanStepId:     t.PlanStepID,
		Title:          t.Title,
		Description:    nullIfEmpty(t.Description),
		Priority:       api.Priority(t.Priority),
		Status:         api.TaskStatus(t.Status),
		DueAt:          utcTime(t.DueAt),
		CompletedAt:    utcTime(t.CompletedAt),
		SkipReason:     nullIfEmpty(t.SkipReason),
		ToolkitItemIds: nonNilIDs(t.ToolkitItemIds),
		Checklist:      checklistToAPI(t.Checklist),
		CreatedAt:      t.CreatedAt.UTC(),
		UpdatedAt:      t.UpdatedAt.UTC(),
	}
	if t.Scenario != nil {
		sc := api.Scenario(*t.Scenario)
		out.Scenario = &sc
	}
	return out
}

func checklistToAPI(items []domain.ChecklistItem) []api.ChecklistItem {
	out := make([]api.ChecklistItem, 0, len(items))
	for _, c := range items {
		out = append(out, api.ChecklistItem{Key: c.Key, Label: c.Label, Checked: c.Checked})
	}
	return out
}

// checklistFromAPI converts the ticks a client sends.
func checklistFromAPI(items []api.ChecklistItem) []domain.ChecklistItem {
	out := make([]domain.ChecklistItem, 0, len(items))
	for _, c := range items {
		out = append(out, domain.ChecklistItem{Key: c.Key, Label: c.Label, Checked: c.Checked})
	}
	return out
}

func nonNilIDs(ids []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	copy(out, ids)
	return out
}

// policyToAPI converts an insurance policy.
func policyToAPI(p *ent.InsurancePolicy) api.Policy {
	cur := p.Currency
	if cur == "" {
		cur = defaultCurrency
	}
	return api.Policy{
		Id:                 p.ID,
		Version:            p.Version,
		CustomerId:         p.CustomerID,
		ExternalId:         p.ExternalID,
		Number:             p.Number,
		ProductCode:        p.ProductCode,
		ProductName:        p.ProductName,
		Line:               api.PolicyLine(p.Line),
		InsuredName:        p.InsuredName,
		HolderName:         p.HolderName,
		PremiumCents:       p.PremiumCents,
		SumAssuredCents:    p.SumAssuredCents,
		Currency:           cur,
		PaymentFrequency:   api.PaymentFrequency(p.PaymentFrequency),
		StartDate:          openapi_types.Date{Time: p.StartDate.UTC()},
		NextPremiumDueDate: apiDate(p.NextPremiumDueDate),
		RenewalDate:        apiDate(p.RenewalDate),
		Status:             api.PolicyStatus(p.Status),
		CreatedAt:          p.CreatedAt.UTC(),
		UpdatedAt:          p.UpdatedAt.UTC(),
	}
}

func apiDate(t *time.Time) *openapi_types.Date {
	if t == nil {
		return nil
	}
	return &openapi_types.Date{Time: t.UTC()}
}

// toolkitItemToAPI converts a toolkit item record: what agents may see of
// it (sync sends the record; drafts live in its revisions).
func toolkitItemToAPI(e *ent.ToolkitItem) api.ToolkitItem {
	return toolkitViewToAPI(toolkit.Item{
		ID: e.ID, Version: e.Version, Key: e.Key, Kind: string(e.Kind), Scenario: string(e.Scenario),
		Tier: string(e.Tier), Locale: string(e.Locale), Title: e.Title, Summary: e.Summary, Tags: e.Tags,
		Status: string(e.Status), Revision: e.Revision, Content: e.Content, PublishedAt: e.PublishedAt,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	})
}

// toolkitViewToAPI converts a toolkit item as the toolkit package shows
// it to the caller.
func toolkitViewToAPI(it toolkit.Item) api.ToolkitItem {
	return api.ToolkitItem{
		Id:          it.ID,
		Version:     it.Version,
		Key:         it.Key,
		Kind:        api.ToolkitKind(it.Kind),
		Scenario:    api.Scenario(it.Scenario),
		Tier:        api.ToolkitTier(it.Tier),
		Locale:      api.Locale(it.Locale),
		Title:       it.Title,
		Summary:     nullIfEmpty(it.Summary),
		Tags:        nonNilStrings(it.Tags),
		Status:      api.ToolkitStatus(it.Status),
		Revision:    int32(it.Revision),
		Content:     toolkitContentToAPI(it.Content),
		PublishedAt: utcTime(it.PublishedAt),
		CreatedAt:   it.CreatedAt.UTC(),
		UpdatedAt:   it.UpdatedAt.UTC(),
	}
}

// toolkitRevisionToAPI converts a published revision. The toolkit keeps
// the author of a revision, not who published it: published_by is absent.
func toolkitRevisionToAPI(r toolkit.Revision) api.ToolkitItemRevision {
	published := r.UpdatedAt
	if r.PublishedAt != nil {
		published = *r.PublishedAt
	}
	return api.ToolkitItemRevision{
		ItemId:      r.ItemID,
		Revision:    int32(r.Number),
		Title:       r.Title,
		Summary:     nullIfEmpty(r.Summary),
		Content:     toolkitContentToAPI(r.Content),
		PublishedAt: published.UTC(),
		RetiredAt:   utcTime(r.RetiredAt),
	}
}

// toolkitContentToAPI converts content; members the kind does not use are
// absent.
func toolkitContentToAPI(c domain.ToolkitContent) api.ToolkitContent {
	var out api.ToolkitContent
	if len(c.Sections) > 0 {
		s := make([]api.ScriptSection, 0, len(c.Sections))
		for _, sec := range c.Sections {
			s = append(s, api.ScriptSection{Title: sec.Title, Lines: nonNilStrings(sec.Lines)})
		}
		out.Sections = &s
	}
	if len(c.Items) > 0 {
		items := checklistSpecsToAPI(c.Items)
		out.Items = &items
	}
	if len(c.Nodes) > 0 {
		n := make([]api.FlowNode, 0, len(c.Nodes))
		for _, nd := range c.Nodes {
			n = append(n, api.FlowNode{Id: nd.ID, Label: nd.Label, Kind: api.FlowNodeKind(nd.Kind)})
		}
		out.Nodes = &n
	}
	if len(c.Edges) > 0 {
		e := make([]api.FlowEdge, 0, len(c.Edges))
		for _, ed := range c.Edges {
			e = append(e, api.FlowEdge{From: ed.From, To: ed.To, Label: nullIfEmpty(ed.Label)})
		}
		out.Edges = &e
	}
	if c.Body != "" {
		b := c.Body
		out.Body = &b
	}
	return out
}

// toolkitContentFromAPI converts content as an admin writes it.
func toolkitContentFromAPI(c api.ToolkitContent) domain.ToolkitContent {
	var out domain.ToolkitContent
	if c.Sections != nil {
		for _, sec := range *c.Sections {
			out.Sections = append(out.Sections, domain.ScriptSection{Title: sec.Title, Lines: nonNilStrings(sec.Lines)})
		}
	}
	if c.Items != nil {
		out.Items = checklistSpecsFromAPI(*c.Items)
	}
	if c.Nodes != nil {
		for _, nd := range *c.Nodes {
			out.Nodes = append(out.Nodes, domain.FlowchartNode{ID: nd.Id, Label: nd.Label, Kind: string(nd.Kind)})
		}
	}
	if c.Edges != nil {
		for _, ed := range *c.Edges {
			out.Edges = append(out.Edges, domain.FlowchartEdge{From: ed.From, To: ed.To, Label: derefString(ed.Label)})
		}
	}
	out.Body = derefString(c.Body)
	return out
}

func checklistSpecsToAPI(items []domain.ChecklistItem) []api.ChecklistSpec {
	out := make([]api.ChecklistSpec, 0, len(items))
	for _, c := range items {
		req := c.Required
		out = append(out, api.ChecklistSpec{Key: c.Key, Label: c.Label, Required: &req})
	}
	return out
}

func checklistSpecsFromAPI(items []api.ChecklistSpec) []domain.ChecklistItem {
	out := make([]domain.ChecklistItem, 0, len(items))
	for _, c := range items {
		out = append(out, domain.ChecklistItem{Key: c.Key, Label: c.Label, Required: derefBool(c.Required)})
	}
	return out
}

// renderedToAPI converts a rendering.
func renderedToAPI(r toolkit.Rendered) api.RenderedToolkitItem {
	unresolved := nonNilStrings(r.Unresolved)
	return api.RenderedToolkitItem{
		ItemId: r.ItemID, Revision: int32(r.Revision), Locale: api.Locale(r.Locale),
		Content: toolkitContentToAPI(r.Content), UnresolvedPlaceholders: &unresolved,
	}
}

// planRuleToAPI converts a rule.
func planRuleToAPI(r plan.Rule) api.PlanRule {
	conds := make([]api.PlanCondition, 0, len(r.Conditions))
	for _, c := range r.Conditions {
		conds = append(conds, api.PlanCondition{Fact: c.Fact, Op: api.PlanConditionOp(c.Op), Value: c.Value})
	}
	return api.PlanRule{
		Id:          r.ID,
		Key:         r.Key,
		Name:        r.Name,
		Description: nullIfEmpty(r.Description),
		Enabled:     r.Enabled,
		Revision:    int32(r.Revision),
		Priority:    api.Priority(r.Priority),
		Scenario:    api.Scenario(r.Scenario),
		Conditions:  conds,
		Step:        ruleStepToAPI(r.Step),
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

func ruleStepToAPI(s domain.RuleStep) api.PlanRuleStep {
	out := api.PlanRuleStep{Title: s.Title, Due: api.PlanDue{Event: s.Due.Event, OffsetDays: int32(s.Due.OffsetDays)}}
	if len(s.ToolkitItemKeys) > 0 {
		keys := append([]string(nil), s.ToolkitItemKeys...)
		out.ToolkitItemKeys = &keys
	}
	if len(s.Checklist) > 0 {
		cl := checklistSpecsToAPI(s.Checklist)
		out.Checklist = &cl
	}
	return out
}

// planRuleFromAPI converts a rule as an admin writes it.
func planRuleFromAPI(b api.PlanRuleInput) plan.RuleInput {
	in := plan.RuleInput{
		Key: b.Key, Name: b.Name, Description: derefString(b.Description), Enabled: b.Enabled,
		Priority: string(b.Priority), Scenario: string(b.Scenario),
		Conditions: make([]domain.RuleCondition, 0, len(b.Conditions)),
		Step: domain.RuleStep{Title: b.Step.Title,
			Due: domain.RuleDue{Event: b.Step.Due.Event, OffsetDays: int(b.Step.Due.OffsetDays)}},
	}
	for _, c := range b.Conditions {
		in.Conditions = append(in.Conditions, domain.RuleCondition{Fact: c.Fact, Op: string(c.Op), Value: c.Value})
	}
	if b.Step.ToolkitItemKeys != nil {
		in.Step.ToolkitItemKeys = append([]string(nil), *b.Step.ToolkitItemKeys...)
	}
	if b.Step.Checklist != nil {
		in.Step.Checklist = checklistSpecsFromAPI(*b.Step.Checklist)
	}
	return in
}
