package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/google/uuid"
)

// scenarios are the core service scenarios of the seeds.
var scenarios = []string{
	"consultation", "needs_analysis", "application_underwriting", "policy_delivery_revisit",
	"payment_reminder", "renewal", "claim_assistance", "complaint", "hesitation_surrender",
	"policy_change", "premium_increase", "care_birthday", "care_anniversary", "upgrade_proposal",
}

// ToolkitItem is a script card, checklist, flowchart or template. The row
// carries the published revision, the one agents see; drafts and history
// live in ToolkitRevision.
type ToolkitItem struct{ ent.Schema }

// Policy of ToolkitItem: see package access.
func (ToolkitItem) Policy() ent.Policy { return access.ToolkitItem() }

// Mixin of ToolkitItem.
func (ToolkitItem) Mixin() []ent.Mixin { return synced() }

// Fields of ToolkitItem.
func (ToolkitItem) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().Unique(),
		field.Enum("kind").Values("script", "checklist", "flowchart", "template"),
		field.Enum("scenario").Values(scenarios...),
		field.Enum("tier").Values("basic", "advanced", "intelligent").Default("basic"),
		field.Enum("locale").Values("zh-CN", "en").Default("zh-CN"),
		field.String("title").NotEmpty(),
		field.String("summary").Default(""),
		field.JSON("tags", []string{}).Default([]string{}),
		field.Enum("status").Values("draft", "published", "retired").Default("draft"),
		field.Int("revision").Default(0).NonNegative().Comment("the published revision; 0 before the first publish"),
		field.JSON("content", domain.ToolkitContent{}).Default(domain.ToolkitContent{}),
		field.Time("published_at").Optional().Nillable(),
	}
}

// Edges of ToolkitItem.
func (ToolkitItem) Edges() []ent.Edge {
	return []ent.Edge{edge.To("revisions", ToolkitRevision.Type)}
}

// Indexes of ToolkitItem.
func (ToolkitItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "scenario")}
}

// ToolkitRevision is one numbered revision of a toolkit item.
type ToolkitRevision struct{ ent.Schema }

// Policy of ToolkitRevision: see package access.
func (ToolkitRevision) Policy() ent.Policy { return access.AdminOnly() }

// Mixin of ToolkitRevision.
func (ToolkitRevision) Mixin() []ent.Mixin { return plain() }

// Fields of ToolkitRevision.
func (ToolkitRevision) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("item_id", uuid.UUID{}),
		field.Int("number").Positive(),
		field.Enum("status").Values("draft", "published", "retired").Default("draft"),
		field.String("title").NotEmpty(),
		field.String("summary").Default(""),
		field.JSON("tags", []string{}).Default([]string{}),
		field.JSON("content", domain.ToolkitContent{}).Default(domain.ToolkitContent{}),
		field.UUID("author_id", uuid.UUID{}).Optional().Nillable(),
		field.Time("published_at").Optional().Nillable(),
	}
}

// Edges of ToolkitRevision.
func (ToolkitRevision) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("item", ToolkitItem.Type).Ref("revisions").Field("item_id").Unique().Required(),
	}
}

// Indexes of ToolkitRevision.
func (ToolkitRevision) Indexes() []ent.Index {
	return []ent.Index{index.Fields("item_id", "number").Unique()}
}

// ToolkitUsage records one use of a toolkit item in an interaction or a
// task: the input of the toolkit-usage KPI.
type ToolkitUsage struct{ ent.Schema }

// Policy of ToolkitUsage: see package access.
func (ToolkitUsage) Policy() ent.Policy { return access.ToolkitUsage() }

// Mixin of ToolkitUsage.
func (ToolkitUsage) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

// Fields of ToolkitUsage.
func (ToolkitUsage) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("item_id", uuid.UUID{}),
		field.Int("revision").Default(0),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("customer_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("interaction_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("task_id", uuid.UUID{}).Optional().Nillable(),
		field.Time("used_at").Default(now),
	}
}

// Indexes of ToolkitUsage.
func (ToolkitUsage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("used_at", "interaction_id", "agent_id", "customer_id"),
		index.Fields("interaction_id"),
		index.Fields("task_id"),
	}
}
