// Package access holds AgentDesk's authorization rules as ent privacy
// policies, deny by default: an agent sees their own book (customers and
// everything under them), a team lead the team's, an admin everything, an
// integrator what its scopes allow, and the server's own jobs run with
// auth.SystemContext. A record outside the caller's scope is filtered out
// of queries and updates alike, so it answers "not found".
package access

import (
	"context"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/internal/viewer"
)

// Integrator scopes.
const (
	CustomersRead    = "customers:read"
	CustomersWrite   = "customers:write"
	PoliciesRead     = "policies:read"
	PoliciesWrite    = "policies:write"
	InteractionsRead = "interactions:read"
	ComplaintsRead   = "complaints:read"
	ClaimsRead       = "claims:read"
	TasksRead        = "tasks:read"
	ReportsRead      = "reports:read"
	DevicesWrite     = "devices:write"
	WebhooksManage   = "webhooks:manage"
)

// who returns the viewer, or the decision when there is none to make:
// Deny without a viewer, Allow for the system.
func who(ctx context.Context) (*viewer.Viewer, error) {
	v, ok := viewer.From(ctx)
	if !ok {
		return nil, privacy.Denyf("access: no viewer on the context")
	}
	if v.Kind == viewer.KindSystem {
		return nil, privacy.Allow
	}
	return v, nil
}

// Book is the predicate of the customers an agent viewer may see: their
// own, plus their team's for a team lead. Admins and integrators are not
// limited by it.
func Book(v *viewer.Viewer) predicate.Customer {
	if v.Role == viewer.RoleTeamLead && v.TeamID != nil {
		return customer.Or(customer.AgentID(v.AgentID), customer.HasAgentWith(agent.TeamID(*v.TeamID)))
	}
	return customer.AgentID(v.AgentID)
}

// readScope decides a query on the book: Allow for admins and integrators
// holding one of scopes, Deny for other integrators, or the predicate that
// limits an agent to their book.
func readScope(ctx context.Context, scopes ...string) (predicate.Customer, error) {
	v, d := who(ctx)
	if d != nil {
		return nil, d
	}
	switch {
	case v.Kind == viewer.KindIntegrator:
		for _, s := range scopes {
			if v.HasScope(s) {
				return nil, privacy.Allow
			}
		}
		return nil, privacy.Denyf("access: integrator lacks scope %v", scopes)
	case v.IsAdmin():
		return nil, privacy.Allow
	case v.IsAgent():
		return Book(v), nil
	}
	return nil, privacy.Denyf("access: unknown viewer")
}

// inBook reports whether customer id lies in the agent's book; it looks
// with the system's eyes so that no other policy interferes.
func inBook(ctx context.Context, c *ent.Client, v *viewer.Viewer, id uuid.UUID) (bool, error) {
	return c.Customer.Query().Where(customer.ID(id), Book(v)).Exist(privacy.DecisionContext(ctx, privacy.Allow))
}

// mayOwn reports whether an agent viewer may make owner the agent of a
// customer: an agent only themself, a lead themself or an agent of the team.
func mayOwn(ctx context.Context, c *ent.Client, v *viewer.Viewer, owner uuid.UUID) (bool, error) {
	if owner == v.AgentID {
		return true, nil
	}
	if v.Role != viewer.RoleTeamLead || v.TeamID == nil {
		return false, nil
	}
	return c.Agent.Query().Where(agent.ID(owner), agent.TeamID(*v.TeamID)).
		Exist(privacy.DecisionContext(ctx, privacy.Allow))
}

// childWrite decides a mutation of a record under a customer, for the
// collections agents write (interactions, tasks, complaints, claims, NPS):
// creates must name a customer of the book; updates and deletes are
// limited to the book by where; a move to another customer must stay in it.
func childWrite(ctx context.Context, c *ent.Client, op ent.Op, customerID func() (uuid.UUID, bool),
	where func(predicate.Customer)) error {
	v, d := who(ctx)
	if d != nil {
		return d
	}
	switch {
	case v.IsAdmin():
		return privacy.Allow
	case !v.IsAgent():
		return privacy.Denyf("access: integrators do not write this collection")
	}
	if id, ok := customerID(); ok {
		in, err := inBook(ctx, c, v, id)
		if err != nil {
			return err
		}
		if !in {
			return privacy.Denyf("access: customer outside the caller's book")
		}
	} else if op.Is(ent.OpCreate) {
		return privacy.Denyf("access: a record without a customer")
	}
	if !op.Is(ent.OpCreate) {
		where(Book(v))
	}
	return privacy.Allow
}

// adminOnly allows admins (and the system).
func adminOnly() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		v, d := who(ctx)
		if d != nil {
			return d
		}
		if v.IsAdmin() {
			return privacy.Allow
		}
		return privacy.Denyf("access: admins only")
	})
}

// authenticated allows any viewer.
func authenticated() privacy.QueryRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if _, d := who(ctx); d != nil {
			return d
		}
		return privacy.Allow
	})
}

// systemOnly allows only the server's own jobs: SystemContext decides
// before any rule runs, so the rule itself only denies.
func systemOnly() privacy.QueryMutationRule { return privacy.AlwaysDenyRule() }
