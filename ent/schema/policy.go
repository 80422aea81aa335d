package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/google/uuid"
)

// lines are the lines of business.
var lines = []string{"life", "health", "critical_illness", "accident", "property", "auto", "annuity"}

// Product is an insurance product of the insurer's catalogue.
type Product struct{ ent.Schema }

// Policy of Product: see package access.
func (Product) Policy() ent.Policy { return access.ReadAllWriteAdmin() }

// Mixin of Product.
func (Product) Mixin() []ent.Mixin { return plain() }

// Fields of Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").NotEmpty().Unique(),
		field.String("name").NotEmpty(),
		field.Enum("line").Values(lines...),
		field.Int("hesitation_days").Default(15).NonNegative().
			Comment("cooling-off period after delivery (犹豫期)"),
	}
}

// InsurancePolicy is an insurance policy of a customer. It is usually owned by the
// insurer's policy-administration system: read-only to agents.
type InsurancePolicy struct{ ent.Schema }

// Policy of InsurancePolicy: see package access.
func (InsurancePolicy) Policy() ent.Policy { return access.InsurancePolicy() }

// Mixin of InsurancePolicy.
func (InsurancePolicy) Mixin() []ent.Mixin { return synced() }

// Fields of InsurancePolicy.
func (InsurancePolicy) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.String("external_id").Optional().Nillable().Unique(),
		field.String("number").NotEmpty().Unique(),
		field.String("product_code").Default(""),
		field.String("product_name").Default(""),
		field.Enum("line").Values(lines...),
		field.String("insured_name").Default(""),
		field.String("holder_name").Default(""),
		field.Int64("premium_cents").NonNegative(),
		field.Int64("sum_assured_cents").NonNegative().Default(0),
		field.String("currency").Default("CNY"),
		field.Enum("payment_frequency").Values("annual", "semiannual", "quarterly", "monthly", "single").Default("annual"),
		field.Time("start_date").SchemaType(dateType),
		field.Time("next_premium_due_date").Optional().Nillable().SchemaType(dateType),
		field.Time("renewal_date").Optional().Nillable().SchemaType(dateType),
		field.Enum("status").Values("active", "grace", "lapsed", "terminated").Default("active"),
		field.Int("missed_payments").Default(0).NonNegative(),
	}
}

// Annotations of InsurancePolicy: the table keeps the domain's name.
func (InsurancePolicy) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "policies"}}
}

// Edges of InsurancePolicy.
func (InsurancePolicy) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("policies").Field("customer_id").Unique().Required(),
	}
}

// Indexes of InsurancePolicy.
func (InsurancePolicy) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
		index.Fields("next_premium_due_date"),
		index.Fields("renewal_date"),
		index.Fields("status"),
	}
}

// PolicyRenewal records one renewal of a policy: the insurer's system moved
// its renewal date on from DueDate (the renewal that came due) to
// RenewedTo. The renewal-rate KPI counts these rows by DueDate. Written by
// the server when a policy load moves the date; read by admins and the
// report.
type PolicyRenewal struct{ ent.Schema }

// Policy of PolicyRenewal: see package access.
func (PolicyRenewal) Policy() ent.Policy { return access.AdminReadSystemWrite() }

// Mixin of PolicyRenewal.
func (PolicyRenewal) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

// Fields of PolicyRenewal.
func (PolicyRenewal) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("policy_id", uuid.UUID{}).Immutable(),
		field.UUID("customer_id", uuid.UUID{}).Immutable().
			Comment("the policyholder when the renewal was recorded"),
		field.Time("due_date").SchemaType(dateType).Immutable().
			Comment("the renewal date that came due and was renewed"),
		field.Time("renewed_to").SchemaType(dateType).Immutable().
			Comment("the next renewal date the renewal set"),
		field.Time("recorded_at").Default(now).Immutable(),
	}
}

// Annotations of PolicyRenewal.
func (PolicyRenewal) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "policy_renewals"}}
}

// Indexes of PolicyRenewal: one row per renewal of a policy (a replayed
// load records nothing twice); the report finds a period's by due date.
func (PolicyRenewal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("policy_id", "due_date").Unique(),
		index.Fields("due_date", "customer_id"),
	}
}
