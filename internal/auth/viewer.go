package auth

import (
	"context"

	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/internal/viewer"
)

// Viewer is the identity of a request (see package viewer).
type Viewer = viewer.Viewer

// Kind says who is calling.
type Kind = viewer.Kind

// Role is an agent's role.
type Role = viewer.Role

// The kinds of caller and the roles of agents.
const (
	KindAgent      = viewer.KindAgent
	KindIntegrator = viewer.KindIntegrator
	KindSystem     = viewer.KindSystem
	RoleAgent      = viewer.RoleAgent
	RoleTeamLead   = viewer.RoleTeamLead
	RoleAdmin      = viewer.RoleAdmin
)

// WithViewer puts v on the context.
func WithViewer(ctx context.Context, v *Viewer) context.Context { return viewer.With(ctx, v) }

// ViewerFrom returns the context's viewer.
func ViewerFrom(ctx context.Context) (*Viewer, bool) { return viewer.From(ctx) }

// SystemContext marks ctx as the server's own work (schedulers, recomputes,
// demo loading): it bypasses the access rules, so use it only where no
// caller's request is being served.
func SystemContext(ctx context.Context) context.Context {
	ctx = viewer.With(ctx, &Viewer{Kind: KindSystem})
	return privacy.DecisionContext(ctx, privacy.Allow)
}
