// Package domain holds the plain value types that several capabilities and
// the storage schema share: the structured parts of customers, portraits,
// toolkit items, plan rules and plans. It depends on nothing but the
// standard library and uuid, so every layer can import it.
package domain

import (
	"time"

	"github.com/google/uuid"
)

// Family describes a customer's household, the input of life stage and
// coverage-gap rules.
type Family struct {
	Spouse     bool    `json:"spouse"`
	Children   []Child `json:"children,omitempty"`
	Dependants int     `json:"dependants,omitempty"`
}

// Child is one child of a customer's household.
type Child struct {
	BirthYear int `json:"birth_year"`
}

// Consent records what the customer agreed to; push reminders to a
// customer's own device require Push.
type Consent struct {
	Push           bool       `json:"push"`
	Marketing      bool       `json:"marketing"`
	DataProcessing bool       `json:"data_processing"`
	UpdatedAt      *time.Time `json:"updated_at,omitempty"`
}

// ChecklistItem is one line of a checklist, with its state on a task or step.
type ChecklistItem struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Required bool   `json:"required,omitempty"`
	Checked  bool   `json:"checked,omitempty"`
}

// ToolkitContent is the structured body of a toolkit item; which parts are
// set depends on the item's kind.
type ToolkitContent struct {
	Sections []ScriptSection `json:"sections,omitempty"` // script
	Items    []ChecklistItem `json:"items,omitempty"`    // checklist
	Nodes    []FlowchartNode `json:"nodes,omitempty"`    // flowchart
	Edges    []FlowchartEdge `json:"edges,omitempty"`    // flowchart
	Body     string          `json:"body,omitempty"`     // template
	Extra    map[string]any  `json:"extra,omitempty"`
}

// ScriptSection is a titled group of lines of a script card; lines may hold
// placeholders such as {customer.name}.
type ScriptSection struct {
	Title string   `json:"title"`
	Lines []string `json:"lines"`
}

// FlowchartNode is one node of a flowchart.
type FlowchartNode struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Kind  string `json:"kind,omitempty"` // start, step, decision, end
}

// FlowchartEdge joins two flowchart nodes.
type FlowchartEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label,omitempty"`
}

// RuleCondition is one test of a plan rule on a fact of the customer's
// portrait, policies or history.
type RuleCondition struct {
	Fact  string `json:"fact"`
	Op    string `json:"op"`
	Value any    `json:"value,omitempty"`
}

// RuleStep is the plan step a rule produces when its conditions hold.
type RuleStep struct {
	Title           string          `json:"title"`
	Due             RuleDue         `json:"due"`
	ToolkitItemKeys []string        `json:"toolkit_item_keys,omitempty"`
	Checklist       []ChecklistItem `json:"checklist,omitempty"`
}

// RuleDue places a step's due date relative to an event of the inputs.
type RuleDue struct {
	Event      string `json:"event"`
	OffsetDays int    `json:"offset_days"`
}

// PolicySummary is the portrait's digest of a customer's policies.
type PolicySummary struct {
	Count                   int      `json:"count"`
	ActiveCount             int      `json:"active_count"`
	LinesHeld               []string `json:"lines_held"`
	TotalAnnualPremiumCents int64    `json:"total_annual_premium_cents"`
	TotalSumAssuredCents    int64    `json:"total_sum_assured_cents"`
	Currency                string   `json:"currency"`
}

// CoverageGap is a line of business a customer of this life stage usually
// holds but this one lacks.
type CoverageGap struct {
	Line   string `json:"line"`
	Reason string `json:"reason"`
}

// ChurnRisk is a transparent score: the factors that make it up are kept.
type ChurnRisk struct {
	Score   float64       `json:"score"`
	Level   string        `json:"level"`
	Factors []ChurnFactor `json:"factors"`
}

// ChurnFactor is one weighted input of the churn score.
type ChurnFactor struct {
	Name         string  `json:"name"`
	Weight       float64 `json:"weight"`
	Value        float64 `json:"value"`
	Contribution float64 `json:"contribution"`
}

// ClaimsSummary is the portrait's digest of a customer's claims.
type ClaimsSummary struct {
	Count     int   `json:"count"`
	Open      int   `json:"open"`
	PaidCents int64 `json:"paid_cents"`
}

// NpsEntry is one survey answer as shown on the portrait.
type NpsEntry struct {
	// ID and CreatedAt are the answer record's (absent in portraits
	// computed before they were kept).
	ID            uuid.UUID  `json:"id,omitempty"`
	CreatedAt     *time.Time `json:"created_at,omitempty"`
	Score         int        `json:"score"`
	Comment       string     `json:"comment,omitempty"`
	AnsweredAt    time.Time  `json:"answered_at"`
	InteractionID *uuid.UUID `json:"interaction_id,omitempty"`
}

// TimelineEvent is one entry of the customer's timeline (行为轨迹).
type TimelineEvent struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	RefID   uuid.UUID `json:"ref_id"`
	Title   string    `json:"title"`
	Summary string    `json:"summary,omitempty"`
}

// WebhookAttempt records one delivery attempt of a webhook.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}
