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

// Customer is one customer of an agent's book. Phone, ID number and health
// notes are personal data: only ciphertext (with its key id) and keyed
// hashes for exact search are stored.
type Customer struct{ ent.Schema }

// Policy of Customer: see package access.
func (Customer) Policy() ent.Policy { return access.Customer() }

// Mixin of Customer.
func (Customer) Mixin() []ent.Mixin { return synced() }

// Fields of Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.String("external_id").Optional().Nillable().Unique(),
		field.String("name").NotEmpty(),
		field.String("phone_enc").Optional().Sensitive(),
		field.String("phone_hash").Optional(),
		field.String("id_number_enc").Optional().Sensitive(),
		field.String("id_number_hash").Optional(),
		field.Time("birth_date").Optional().Nillable().SchemaType(dateType),
		field.Enum("gender").Values("male", "female", "other", "unknown").Default("unknown"),
		field.String("occupation").Default(""),
		field.Enum("income_band").Values("low", "lower_middle", "middle", "upper_middle", "high", "unknown").Default("unknown"),
		field.JSON("family", domain.Family{}).Default(domain.Family{}),
		field.String("health_notes_enc").Optional().Sensitive(),
		field.Enum("risk_preference").Values("conservative", "balanced", "aggressive", "unknown").Default("unknown"),
		field.Enum("preferred_channel").Values("phone", "visit", "wechat", "app", "email", "branch").Default("phone"),
		field.JSON("consent", domain.Consent{}).Default(domain.Consent{}),
		field.JSON("tags", []string{}).Default([]string{}),
		field.Enum("life_stage").Values("single", "married", "young_family", "mature_family", "empty_nest", "retired", "unknown").Default("unknown"),
		field.Time("erased_at").Optional().Nillable().
			Comment("set when an admin erased the customer's personal data"),
	}
}

// Edges of Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("agent", Agent.Type).Ref("customers").Field("agent_id").Unique(),
		edge.To("policies", InsurancePolicy.Type),
		edge.To("interactions", Interaction.Type),
		edge.To("tasks", Task.Type),
		edge.To("complaints", Complaint.Type),
		edge.To("claims", Claim.Type),
		edge.To("nps_answers", NpsAnswer.Type),
		edge.To("portrait", Portrait.Type).Unique(),
		edge.To("service_plan", ServicePlan.Type).Unique(),
	}
}

// Indexes of Customer.
func (Customer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("agent_id"), index.Fields("phone_hash"), index.Fields("id_number_hash")}
}

// Portrait holds the server-derived figures of a customer (客户画像),
// recomputed when their inputs change; read-only to clients.
type Portrait struct{ ent.Schema }

// Policy of Portrait: see package access.
func (Portrait) Policy() ent.Policy { return access.Portrait() }

// Mixin of Portrait.
func (Portrait) Mixin() []ent.Mixin { return synced() }

// Fields of Portrait.
func (Portrait) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}).Unique(),
		field.String("life_stage").Default("unknown"),
		field.JSON("policies_summary", domain.PolicySummary{}).Default(domain.PolicySummary{}),
		field.JSON("coverage_gaps", []domain.CoverageGap{}).Default([]domain.CoverageGap{}),
		field.JSON("churn_risk", domain.ChurnRisk{}).Default(domain.ChurnRisk{}),
		field.Time("last_contact_at").Optional().Nillable(),
		field.Int("open_complaints").Default(0),
		field.JSON("claims", domain.ClaimsSummary{}).Default(domain.ClaimsSummary{}),
		field.Int("years_without_claim").Default(0),
		field.JSON("nps", []domain.NpsEntry{}).Default([]domain.NpsEntry{}),
		field.JSON("timeline", []domain.TimelineEvent{}).Default([]domain.TimelineEvent{}),
		field.Time("computed_at").Default(now),
		field.String("inputs_hash").Default("").
			Comment("digest of the inputs; a recompute that finds it unchanged writes nothing"),
	}
}

// Edges of Portrait.
func (Portrait) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("portrait").Field("customer_id").Unique().Required(),
	}
}

// NpsAnswer is one answer (0–10) of a customer to the NPS survey.
type NpsAnswer struct{ ent.Schema }

// Policy of NpsAnswer: see package access.
func (NpsAnswer) Policy() ent.Policy { return access.NpsAnswer() }

// Mixin of NpsAnswer.
func (NpsAnswer) Mixin() []ent.Mixin { return plain() }

// Fields of NpsAnswer.
func (NpsAnswer) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("agent_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("interaction_id", uuid.UUID{}).Optional().Nillable(),
		field.Int("score").Range(0, 10),
		field.String("comment").Default(""),
		field.Time("answered_at").Default(now),
	}
}

// Edges of NpsAnswer.
func (NpsAnswer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("nps_answers").Field("customer_id").Unique().Required(),
	}
}

// Indexes of NpsAnswer.
func (NpsAnswer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("answered_at")}
}
