// Package viewer holds the identity of a request on its context. It is a
// leaf package (no storage imports) so the access rules of the entity
// schema can read it.
package viewer

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// Kind says who is calling.
type Kind string

// The kinds of caller.
const (
	KindAgent      Kind = "agent"      // an agent, team lead or admin, with an access token
	KindIntegrator Kind = "integrator" // an OAuth client of the insurer's systems
	KindSystem     Kind = "system"     // the server's own jobs
)

// Role is an agent's role.
type Role string

// The roles of agents.
const (
	RoleAgent    Role = "agent"
	RoleTeamLead Role = "team_lead"
	RoleAdmin    Role = "admin"
)

// Viewer is the identity of a request: who calls and what they may see.
type Viewer struct {
	Kind     Kind
	AgentID  uuid.UUID  // KindAgent
	Username string     // KindAgent
	Role     Role       // KindAgent
	TeamID   *uuid.UUID // KindAgent, when in a team
	ClientID string     // KindIntegrator: the OAuth client_id
	ClientPK uuid.UUID  // KindIntegrator: the client's row id
	Scopes   []string   // KindIntegrator
	TimeZone string
	Locale   string
	TokenID  string // the access token's jti
}

// HasScope reports whether an integrator viewer holds scope.
func (v *Viewer) HasScope(scope string) bool {
	return v != nil && v.Kind == KindIntegrator && slices.Contains(v.Scopes, scope)
}

// IsAdmin reports whether the viewer is an admin agent.
func (v *Viewer) IsAdmin() bool { return v != nil && v.Kind == KindAgent && v.Role == RoleAdmin }

// IsAgent reports whether the viewer is an agent of any role.
func (v *Viewer) IsAgent() bool { return v != nil && v.Kind == KindAgent }

// ActorID identifies the viewer in audit entries and idempotency records.
func (v *Viewer) ActorID() string {
	switch {
	case v == nil:
		return ""
	case v.Kind == KindIntegrator:
		return "integrator:" + v.ClientID
	case v.Kind == KindSystem:
		return "system"
	}
	return "agent:" + v.AgentID.String()
}

type key struct{}

// With puts v on the context (the request context, where strict handlers
// see it).
func With(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, key{}, v)
}

// From returns the context's viewer.
func From(ctx context.Context) (*Viewer, bool) {
	v, ok := ctx.Value(key{}).(*Viewer)
	return v, ok && v != nil
}
