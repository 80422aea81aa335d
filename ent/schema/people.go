package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/google/uuid"
)

// Team groups agents under a team lead.
type Team struct{ ent.Schema }

// Policy of Team: see package access.
func (Team) Policy() ent.Policy { return access.Team() }

// Mixin of Team.
func (Team) Mixin() []ent.Mixin { return plain() }

// Fields of Team.
func (Team) Fields() []ent.Field {
	return []ent.Field{field.String("name").NotEmpty().Unique()}
}

// Edges of Team.
func (Team) Edges() []ent.Edge {
	return []ent.Edge{edge.To("agents", Agent.Type)}
}

// Agent is a user of the app: an agent, a team lead or an admin.
type Agent struct{ ent.Schema }

// Policy of Agent: see package access.
func (Agent) Policy() ent.Policy { return access.Agent() }

// Mixin of Agent.
func (Agent) Mixin() []ent.Mixin { return plain() }

// Fields of Agent.
func (Agent) Fields() []ent.Field {
	return []ent.Field{
		field.String("username").NotEmpty().Unique(),
		field.String("display_name").Default(""),
		field.Enum("role").Values("agent", "team_lead", "admin").Default("agent"),
		field.UUID("team_id", uuid.UUID{}).Optional().Nillable(),
		field.String("time_zone").Default("Asia/Shanghai"),
		field.String("locale").Default("zh-CN"),
		field.String("password_hash").Sensitive(),
		field.Bool("disabled").Default(false),
		field.Time("disabled_at").Optional().Nillable(),
		field.Int64("scope_epoch").Default(0).
			Comment("grows when the agent's role or team changes, so sync recomputes the scope"),
	}
}

// Edges of Agent.
func (Agent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("team", Team.Type).Ref("agents").Field("team_id").Unique(),
		edge.To("customers", Customer.Type),
		edge.To("refresh_tokens", RefreshToken.Type),
	}
}

// IntegratorClient is an OAuth 2.0 client of the insurer's other systems.
type IntegratorClient struct{ ent.Schema }

// Policy of IntegratorClient: see package access.
func (IntegratorClient) Policy() ent.Policy { return access.AdminOnly() }

// Mixin of IntegratorClient.
func (IntegratorClient) Mixin() []ent.Mixin { return plain() }

// Fields of IntegratorClient.
func (IntegratorClient) Fields() []ent.Field {
	return []ent.Field{
		field.String("client_id").NotEmpty().Unique(),
		field.String("name").Default(""),
		field.String("secret_hash").Sensitive(),
		field.JSON("scopes", []string{}).Default([]string{}),
		field.Bool("disabled").Default(false),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// RefreshToken is one opaque refresh token, stored hashed; tokens rotated
// from one login form a family that reuse detection revokes as a whole.
type RefreshToken struct{ ent.Schema }

// Policy of RefreshToken: see package access.
func (RefreshToken) Policy() ent.Policy { return access.SystemOnly() }

// Mixin of RefreshToken.
func (RefreshToken) Mixin() []ent.Mixin { return plain() }

// Fields of RefreshToken.
func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("agent_id", uuid.UUID{}),
		field.UUID("family_id", uuid.UUID{}),
		field.String("token_hash").NotEmpty().Unique().Sensitive(),
		field.Time("expires_at"),
		field.Time("spent_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of RefreshToken.
func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("agent", Agent.Type).Ref("refresh_tokens").Field("agent_id").Unique().Required(),
	}
}

// Indexes of RefreshToken.
func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("family_id")}
}

// AuditEntry records a read of unmasked personal data or a privileged
// action: who, what, when and through which endpoint.
type AuditEntry struct{ ent.Schema }

// Policy of AuditEntry: see package access.
func (AuditEntry) Policy() ent.Policy { return access.AdminReadSystemWrite() }

// Mixin of AuditEntry.
func (AuditEntry) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

// Fields of AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Default(now).Immutable(),
		field.Enum("actor_kind").Values("agent", "integrator", "system").Immutable(),
		field.String("actor_id").Immutable(),
		field.String("action").Immutable(),
		field.String("subject_type").Immutable(),
		field.String("subject_id").Immutable(),
		field.JSON("fields", []string{}).Optional().Immutable(),
		field.String("reason").Default("").Immutable(),
		field.String("request_id").Default("").Immutable(),
	}
}

// Indexes of AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subject_id", "at"), index.Fields("actor_id", "at"), index.Fields("at")}
}
