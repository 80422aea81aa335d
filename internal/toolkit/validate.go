package toolkit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// KeyPattern is the form of toolkit item keys (and plan rule keys).
var KeyPattern = regexp.MustCompile(`^[a-z0-9]+(?:[-_.][a-z0-9]+)*$`)

// Size limits of items, from the API contract.
const (
	maxKey          = 100
	maxTitle        = 200
	maxSummary      = 2000
	maxTags         = 50
	maxTag          = 50
	maxSections     = 100
	maxLines        = 200
	maxLine         = 2000
	maxChecklist    = 200
	maxChecklistKey = 100
	maxLabel        = 500
	maxNodes        = 500
	maxNodeID       = 64
	maxEdges        = 1000
	maxEdgeLabel    = 200
	maxBody         = 50000
)

// nodeKinds are the shapes of flowchart nodes.
var nodeKinds = []string{"start", "step", "decision", "end"}

func fieldErr(field, code, format string, args ...any) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// validateMeta checks the fields every item has; kind is checked by the
// caller because it never changes after creation.
func validateMeta(scenario, tier, locale, title, summary string, tags []string) []apperr.FieldError {
	var errs []apperr.FieldError
	if toolkititem.ScenarioValidator(toolkititem.Scenario(scenario)) != nil {
		errs = append(errs, fieldErr("/scenario", "enum", "unknown scenario %q", scenario))
	}
	if toolkititem.TierValidator(toolkititem.Tier(tier)) != nil {
		errs = append(errs, fieldErr("/tier", "enum", "tier must be basic, advanced or intelligent"))
	}
	if toolkititem.LocaleValidator(toolkititem.Locale(locale)) != nil {
		errs = append(errs, fieldErr("/locale", "enum", "locale must be zh-CN or en"))
	}
	switch {
	case strings.TrimSpace(title) == "":
		errs = append(errs, fieldErr("/title", "required", "title must not be empty"))
	case tooLong(title, maxTitle):
		errs = append(errs, fieldErr("/title", "maxLength", "title is longer than %d characters", maxTitle))
	}
	if tooLong(summary, maxSummary) {
		errs = append(errs, fieldErr("/summary", "maxLength", "summary is longer than %d characters", maxSummary))
	}
	if len(tags) > maxTags {
		errs = append(errs, fieldErr("/tags", "maxItems", "at most %d tags", maxTags))
	}
	for i, t := range tags {
		if strings.TrimSpace(t) == "" || tooLong(t, maxTag) {
			errs = append(errs, fieldErr(fmt.Sprintf("/tags/%d", i), "length", "a tag has 1 to %d characters", maxTag))
		}
	}
	return errs
}

// ValidateContent checks an item's content against its kind: a script has
// sections, each with at least one non-blank line; a checklist has items
// with unique non-empty keys and labels; a flowchart has nodes with unique
// ids and known shapes, and edges between existing nodes; a template has a
// body. Members another kind uses must be empty. Field paths start at
// /content.
func ValidateContent(kind string, c domain.ToolkitContent) []apperr.FieldError {
	var errs []apperr.FieldError
	add := func(field, code, format string, args ...any) {
		errs = append(errs, fieldErr("/content"+field, code, format, args...))
	}
	unused := func(member string, n int) {
		if n > 0 {
			add("/"+member, "unused", "a %s has no %s", kind, member)
		}
	}
	switch kind {
	case "script":
		unused("items", len(c.Items))
		unused("nodes", len(c.Nodes))
		unused("edges", len(c.Edges))
		unused("body", len(c.Body))
		validateScript(c.Sections, add)
	case "checklist":
		unused("sections", len(c.Sections))
		unused("nodes", len(c.Nodes))
		unused("edges", len(c.Edges))
		unused("body", len(c.Body))
		errs = append(errs, ValidateChecklist("/content/items", c.Items, maxChecklist)...)
		if len(c.Items) == 0 {
			add("/items", "required", "a checklist needs at least one item")
		}
	case "flowchart":
		unused("sections", len(c.Sections))
		unused("items", len(c.Items))
		unused("body", len(c.Body))
		validateFlowchart(c.Nodes, c.Edges, add)
	case "template":
		unused("sections", len(c.Sections))
		unused("items", len(c.Items))
		unused("nodes", len(c.Nodes))
		unused("edges", len(c.Edges))
		switch {
		case strings.TrimSpace(c.Body) == "":
			add("/body", "required", "a template needs a body")
		case tooLong(c.Body, maxBody):
			add("/body", "maxLength", "body is longer than %d characters", maxBody)
		}
	default:
		errs = append(errs, fieldErr("/kind", "enum", "kind must be script, checklist, flowchart or template"))
	}
	return errs
}

func validateScript(sections []domain.ScriptSection, add func(field, code, format string, args ...any)) {
	if len(sections) == 0 {
		add("/sections", "required", "a script needs at least one section")
	}
	if len(sections) > maxSections {
		add("/sections", "maxItems", "at most %d sections", maxSections)
	}
	for i, s := range sections {
		if tooLong(s.Title, maxTitle) {
			add(fmt.Sprintf("/sections/%d/title", i), "maxLength", "section title is longer than %d characters", maxTitle)
		}
		if len(s.Lines) > maxLines {
			add(fmt.Sprintf("/sections/%d/lines", i), "maxItems", "at most %d lines in a section", maxLines)
		}
		if !slices.ContainsFunc(s.Lines, func(l string) bool { return strings.TrimSpace(l) != "" }) {
			add(fmt.Sprintf("/sections/%d/lines", i), "required", "a section needs at least one line")
		}
		for j, l := range s.Lines {
			if tooLong(l, maxLine) {
				add(fmt.Sprintf("/sections/%d/lines/%d", i, j), "maxLength", "line is longer than %d characters", maxLine)
			}
		}
	}
}

func validateFlowchart(nodes []domain.FlowchartNode, edges []domain.FlowchartEdge, add func(field, code, format string, args ...any)) {
	if len(nodes) == 0 {
		add("/nodes", "required", "a flowchart needs at least one node")
	}
	if len(nodes) > maxNodes {
		add("/nodes", "maxItems", "at most %d nodes", maxNodes)
	}
	if len(edges) > maxEdges {
		add("/edges", "maxItems", "at most %d edges", maxEdges)
	}
	ids := make(map[string]bool, len(nodes))
	for i, n := range nodes {
		switch {
		case n.ID == "" || tooLong(n.ID, maxNodeID):
			add(fmt.Sprintf("/nodes/%d/id", i), "length", "a node id has 1 to %d characters", maxNodeID)
		case ids[n.ID]:
			add(fmt.Sprintf("/nodes/%d/id", i), "duplicate", "node id %q is used twice", n.ID)
		}
		ids[n.ID] = true
		if !slices.Contains(nodeKinds, n.Kind) {
			add(fmt.Sprintf("/nodes/%d/kind", i), "enum", "node kind must be start, step, decision or end")
		}
		if tooLong(n.Label, maxLabel) {
			add(fmt.Sprintf("/nodes/%d/label", i), "maxLength", "label is longer than %d characters", maxLabel)
		}
	}
	for i, e := range edges {
		if !ids[e.From] {
			add(fmt.Sprintf("/edges/%d/from", i), "unknown_node", "edge starts at unknown node %q", e.From)
		}
		if !ids[e.To] {
			add(fmt.Sprintf("/edges/%d/to", i), "unknown_node", "edge ends at unknown node %q", e.To)
		}
		if tooLong(e.Label, maxEdgeLabel) {
			add(fmt.Sprintf("/edges/%d/label", i), "maxLength", "edge label is longer than %d characters", maxEdgeLabel)
		}
	}
}

// ValidateChecklist checks checklist entries (of a toolkit checklist, a
// plan rule or a task): at most limit entries, keys of 1–100 characters and
// unique, labels of 1–500 characters. at is the field path of the list.
func ValidateChecklist(at string, items []domain.ChecklistItem, limit int) []apperr.FieldError {
	var errs []apperr.FieldError
	if len(items) > limit {
		errs = append(errs, fieldErr(at, "maxItems", "at most %d checklist entries", limit))
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		switch {
		case it.Key == "" || tooLong(it.Key, maxChecklistKey):
			errs = append(errs, fieldErr(fmt.Sprintf("%s/%d/key", at, i), "length", "a checklist key has 1 to %d characters", maxChecklistKey))
		case seen[it.Key]:
			errs = append(errs, fieldErr(fmt.Sprintf("%s/%d/key", at, i), "duplicate", "checklist key %q is used twice", it.Key))
		}
		seen[it.Key] = true
		if strings.TrimSpace(it.Label) == "" || tooLong(it.Label, maxLabel) {
			errs = append(errs, fieldErr(fmt.Sprintf("%s/%d/label", at, i), "length", "a checklist label has 1 to %d characters", maxLabel))
		}
	}
	return errs
}
