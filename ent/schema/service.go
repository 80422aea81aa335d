package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/google/uuid"
)

// Interaction is one entry of the consultation ledger (咨询台账): a call,
// visit or message, with the clocks the first-response KPIs need.
type Interaction struct{ ent.Schema }

// Policy of Interaction: see package access.
func (Interaction) Policy() ent.Policy { return access.Interaction() }

// Mixin of Interaction.
func (Interaction) Mixin() []ent.Mixin { return synced() }

// Fields of Interaction.
func (Interaction) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.Enum("channel").Values("phone", "visit", "wechat", "app", "email", "branch"),
		field.Enum("type").Values("consultation", "needs_analysis", "revisit", "payment", "renewal", "claim_assistance", "complaint", "care"),
		field.Text("content").Default(""),
		field.String("result").Default(""),
		field.String("feedback").Default(""),
		field.Time("received_at"),
		field.Time("first_response_at").Optional().Nillable(),
		field.UUID("answers_interaction_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("task_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("plan_step_id", uuid.UUID{}).Optional().Nillable(),
		field.JSON("toolkit_item_ids", []uuid.UUID{}).Default([]uuid.UUID{}),
	}
}

// Edges of Interaction.
func (Interaction) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("interactions").Field("customer_id").Unique().Required(),
	}
}

// Indexes of Interaction.
func (Interaction) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "received_at"),
		index.Fields("type", "received_at"),
		index.Fields("agent_id", "received_at"),
		// Covers the first-response KPIs without reading the content.
		index.Fields("received_at", "type", "answers_interaction_id", "first_response_at", "agent_id", "customer_id"),
	}
}

// Complaint is a customer complaint and its workflow, with the seeds' SLA
// clocks (acknowledge ≤ 24 h, answer ≤ 2 and close ≤ 7 working days).
type Complaint struct{ ent.Schema }

// Policy of Complaint: see package access.
func (Complaint) Policy() ent.Policy { return access.Complaint() }

// Mixin of Complaint.
func (Complaint) Mixin() []ent.Mixin { return synced() }

// Fields of Complaint.
func (Complaint) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("policy_id", uuid.UUID{}).Optional().Nillable(),
		field.Enum("status").Values("received", "acknowledged", "investigating", "resolved", "closed", "escalated").Default("received"),
		field.Enum("category").Values("claim_timeliness", "service_attitude", "sales_misconduct", "policy_terms", "billing", "other").Default("other"),
		field.Enum("severity").Values("low", "medium", "high", "critical").Default("medium"),
		field.String("summary").NotEmpty(),
		field.Text("details").Default(""),
		field.Time("received_at"),
		field.Time("acknowledged_at").Optional().Nillable(),
		field.Time("resolved_at").Optional().Nillable(),
		field.Time("closed_at").Optional().Nillable(),
		field.Time("escalated_at").Optional().Nillable(),
		field.String("root_cause").Default(""),
		field.String("corrective_action").Default(""),
		field.String("resolution").Default(""),
		field.Time("ack_due_at"),
		field.Time("answer_due_at"),
		field.Time("close_due_at"),
	}
}

// Edges of Complaint.
func (Complaint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("complaints").Field("customer_id").Unique().Required(),
	}
}

// Indexes of Complaint.
func (Complaint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id"), index.Fields("status"), index.Fields("received_at"), index.Fields("agent_id", "received_at")}
}

// Claim is claim assistance for a customer: filed → accepted → documents
// complete → decided → paid/closed, with the 3-day and 7-day clocks.
type Claim struct{ ent.Schema }

// Policy of Claim: see package access.
func (Claim) Policy() ent.Policy { return access.Claim() }

// Mixin of Claim.
func (Claim) Mixin() []ent.Mixin { return synced() }

// Fields of Claim.
func (Claim) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("policy_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.Enum("status").Values("filed", "accepted", "documents_complete", "decided", "paid", "closed").Default("filed"),
		field.Text("description").Default(""),
		field.Int64("amount_claimed_cents").Default(0).NonNegative(),
		field.Int64("amount_paid_cents").Default(0).NonNegative(),
		field.Enum("decision").Values("approved", "declined").Optional().Nillable(),
		field.Time("filed_at"),
		field.Time("accepted_at").Optional().Nillable(),
		field.Time("documents_complete_at").Optional().Nillable(),
		field.Time("decided_at").Optional().Nillable(),
		field.Time("paid_at").Optional().Nillable(),
		field.Time("closed_at").Optional().Nillable(),
		field.Time("accept_due_at"),
		field.Time("close_due_at"),
	}
}

// Edges of Claim.
func (Claim) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("claims").Field("customer_id").Unique().Required(),
	}
}

// Indexes of Claim.
func (Claim) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id"), index.Fields("status"), index.Fields("filed_at"), index.Fields("agent_id", "filed_at")}
}

// CalendarDay overrides the default working-day rule (Monday to Friday) for
// one date: public holidays, and weekend days made working days (调休).
type CalendarDay struct{ ent.Schema }

// Policy of CalendarDay: see package access.
func (CalendarDay) Policy() ent.Policy { return access.ReadAllWriteAdmin() }

// Mixin of CalendarDay.
func (CalendarDay) Mixin() []ent.Mixin { return plain() }

// Fields of CalendarDay.
func (CalendarDay) Fields() []ent.Field {
	return []ent.Field{
		field.Time("date").SchemaType(dateType).Unique(),
		field.Bool("working_day"),
		field.String("note").Default(""),
	}
}

// ClaimEvent is one transition of a claim as recorded: from and to which
// state, the note sent with it, who made it and when. Written by the
// server in the transition's transaction; read through the claim (GET
// /v1/claims/{id}/events). The note is cleared when the customer is erased.
type ClaimEvent struct{ ent.Schema }

// Policy of ClaimEvent: see package access.
func (ClaimEvent) Policy() ent.Policy { return access.AdminReadSystemWrite() }

// Mixin of ClaimEvent.
func (ClaimEvent) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

// Fields of ClaimEvent.
func (ClaimEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("claim_id", uuid.UUID{}).Immutable(),
		field.UUID("customer_id", uuid.UUID{}).Immutable(),
		field.String("transition").NotEmpty().Immutable(),
		field.String("from_status").NotEmpty().Immutable(),
		field.String("to_status").NotEmpty().Immutable(),
		field.Text("note").Optional().Nillable(),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		field.Time("at").Immutable(),
		field.Time("recorded_at").Immutable(),
	}
}

// Indexes of ClaimEvent.
func (ClaimEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("claim_id", "at"), index.Fields("customer_id")}
}
