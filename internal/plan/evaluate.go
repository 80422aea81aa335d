package plan

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/portrait"
	"github.com/agentdesk/agentdesk/internal/portrait/civil"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// Step is one step the rules ask for now.
type Step struct {
	RuleKey      string
	RuleRevision int
	Scenario     string
	Priority     string
	Title        string
	// Due is the due day on the agent's calendar; DueAt is its local
	// midnight as an instant. A step is on time when done before the next
	// local midnight.
	Due   civil.Date
	DueAt time.Time
	// DueFromNow marks a step due relative to the day it first appears
	// (event "now"): a stored step keeps its due date.
	DueFromNow bool
	// DedupeKey is the step's identity across regenerations: the rule key,
	// the policy or complaint it is about, and the date of the event it
	// answers (none for "now"), e.g.
	// "premium-due-3d/p:0195…@2026-03-20".
	DedupeKey      string
	PolicyID       *uuid.UUID
	ComplaintID    *uuid.UUID
	ToolkitItemIDs []uuid.UUID
	Checklist      []domain.ChecklistItem
}

// priorityRank orders priorities, high first.
func priorityRank(p string) int {
	switch p {
	case "high":
		return 0
	case "medium":
		return 1
	}
	return 2
}

// compareSteps is the plan order: priority (high first), due date, rule
// key, dedupe key.
func compareSteps(a, b *Step) int {
	if c := cmp.Compare(priorityRank(a.Priority), priorityRank(b.Priority)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Due, b.Due); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RuleKey, b.RuleKey); c != 0 {
		return c
	}
	return cmp.Compare(a.DedupeKey, b.DedupeKey)
}

// Locale returns the locale step titles are written in: the agent's,
// zh-CN by default.
func Locale(in *portrait.Inputs) string {
	if in.Agent != nil && in.Agent.Locale != "" {
		return in.Agent.Locale
	}
	return "zh-CN"
}

// Evaluate applies the enabled rules to one customer's inputs and portrait
// as of now, counting days in loc (the agent's zone), and returns the steps
// in plan order. It is pure and deterministic. Toolkit keys resolve through
// toolkitByKey (the published items); unknown keys are left out. A rule
// that does not compile (it was valid when saved, but the catalogue
// changed) is skipped. An erased customer gets no steps.
func Evaluate(rules []Rule, in *portrait.Inputs, p portrait.Portrait, toolkitByKey map[string]uuid.UUID, now time.Time, loc *time.Location) []Step {
	cs := make([]compiled, 0, len(rules))
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		if c, errs := compile(r); len(errs) == 0 {
			cs = append(cs, c)
		}
	}
	return evaluate(cs, in, &p, toolkitByKey, now, loc)
}

func evaluate(rules []compiled, in *portrait.Inputs, p *portrait.Portrait, toolkitByKey map[string]uuid.UUID, now time.Time, loc *time.Location) []Step {
	if in.Customer.ErasedAt != nil {
		return []Step{}
	}
	e := newEnv(in, p, now, loc)
	locale := Locale(in)
	custValues := toolkit.Values(in.Customer, nil, in.Agent, locale)
	steps := []Step{}
	for i := range rules {
		r := &rules[i]
		switch r.scope {
		case ScopePolicy:
			for _, pol := range in.Policies {
				s := &subject{e: e, policy: pol}
				if st, ok := r.apply(s, toolkitByKey, func() map[string]string {
					return toolkit.Values(in.Customer, pol, in.Agent, locale)
				}); ok {
					id := pol.ID
					st.PolicyID = &id
					steps = append(steps, st)
				}
			}
		case ScopeComplaint:
			for _, cp := range in.Complaints {
				s := &subject{e: e, complaint: cp}
				if st, ok := r.apply(s, toolkitByKey, func() map[string]string { return custValues }); ok {
					id := cp.ID
					st.ComplaintID = &id
					steps = append(steps, st)
				}
			}
		default:
			if st, ok := r.apply(&subject{e: e}, toolkitByKey, func() map[string]string { return custValues }); ok {
				steps = append(steps, st)
			}
		}
	}
	slices.SortFunc(steps, func(a, b Step) int { return compareSteps(&a, &b) })
	return steps
}

// apply evaluates the rule on one subject and builds its step.
func (r *compiled) apply(s *subject, toolkitByKey map[string]uuid.UUID, values func() map[string]string) (Step, bool) {
	for i := range r.conds {
		if !r.conds[i].holds(s) {
			return Step{}, false
		}
	}
	at, ok := r.event.get(s)
	if !ok {
		return Step{}, false
	}
	due := at.AddDays(r.Step.Due.OffsetDays)
	st := Step{
		RuleKey: r.Key, RuleRevision: r.Revision, Scenario: r.Scenario, Priority: r.Priority,
		Due: due, DueAt: due.Midnight(s.e.loc), DueFromNow: r.event.Name == EventNow,
		ToolkitItemIDs: []uuid.UUID{}, Checklist: []domain.ChecklistItem{},
	}
	st.Title = r.Step.Title
	if strings.Contains(st.Title, "{") {
		st.Title, _ = toolkit.Fill(st.Title, values())
	}
	var key strings.Builder
	key.WriteString(r.Key)
	switch {
	case s.policy != nil:
		key.WriteString("/p:" + s.policy.ID.String())
	case s.complaint != nil:
		key.WriteString("/c:" + s.complaint.ID.String())
	}
	if !st.DueFromNow {
		key.WriteString("@" + at.String())
	}
	st.DedupeKey = key.String()
	for _, k := range r.Step.ToolkitItemKeys {
		if id, ok := toolkitByKey[k]; ok {
			st.ToolkitItemIDs = append(st.ToolkitItemIDs, id)
		}
	}
	for _, c := range r.Step.Checklist {
		st.Checklist = append(st.Checklist, domain.ChecklistItem{Key: c.Key, Label: c.Label, Required: c.Required})
	}
	return st, true
}
