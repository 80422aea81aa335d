package access

import (
	"context"

	entgo "entgo.io/ent"
	entprivacy "entgo.io/ent/privacy"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/npsanswer"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/privacy"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/team"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
	"github.com/agentdesk/agentdesk/ent/webhooksubscription"
	"github.com/agentdesk/agentdesk/internal/viewer"
)

func policy(q privacy.QueryPolicy, m privacy.MutationPolicy) entgo.Policy {
	return entprivacy.Policy{Query: q, Mutation: m}
}

// Customer: the book.
func Customer() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.CustomerQueryRuleFunc(func(ctx context.Context, q *ent.CustomerQuery) error {
			p, d := readScope(ctx, CustomersRead, CustomersWrite)
			if d != nil {
				return d
			}
			q.Where(p)
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.CustomerMutationRuleFunc(func(ctx context.Context, m *ent.CustomerMutation) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin(), v.HasScope(CustomersWrite):
				return privacy.Allow
			case !v.IsAgent():
				return privacy.Denyf("access: customers:write required")
			}
			if m.AgentIDCleared() {
				return privacy.Denyf("access: only admins unassign customers")
			}
			if owner, ok := m.AgentID(); ok {
				may, err := mayOwn(ctx, m.Client(), v, owner)
				if err != nil {
					return err
				}
				if !may {
					return privacy.Denyf("access: cannot assign a customer to that agent")
				}
			} else if m.Op().Is(ent.OpCreate) {
				return privacy.Denyf("access: a customer needs an agent")
			}
			if !m.Op().Is(ent.OpCreate) {
				m.Where(Book(v))
			}
			return privacy.Allow
		})},
	)
}

// InsurancePolicy: read-only to agents; written by admins and integrators.
func InsurancePolicy() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.InsurancePolicyQueryRuleFunc(func(ctx context.Context, q *ent.InsurancePolicyQuery) error {
			p, d := readScope(ctx, PoliciesRead, PoliciesWrite)
			if d != nil {
				return d
			}
			q.Where(insurancepolicy.HasCustomerWith(p))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.ContextQueryMutationRule(func(ctx context.Context) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			if v.IsAdmin() || v.HasScope(PoliciesWrite) {
				return privacy.Allow
			}
			return privacy.Denyf("access: policies are read-only to agents")
		})},
	)
}

// derived is the policy of server-derived records (portraits, plans):
// readable in the book, written only by the server.
func derivedQuery(ctx context.Context, where func(predicate.Customer)) error {
	p, d := readScope(ctx, CustomersRead, CustomersWrite)
	if d != nil {
		return d
	}
	where(p)
	return privacy.Allow
}

// Portrait: derived, read-only.
func Portrait() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.PortraitQueryRuleFunc(func(ctx context.Context, q *ent.PortraitQuery) error {
			return derivedQuery(ctx, func(p predicate.Customer) { q.Where(portrait.HasCustomerWith(p)) })
		})},
		privacy.MutationPolicy{systemOnly()},
	)
}

// ServicePlan: derived, read-only.
func ServicePlan() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.ServicePlanQueryRuleFunc(func(ctx context.Context, q *ent.ServicePlanQuery) error {
			return derivedQuery(ctx, func(p predicate.Customer) { q.Where(serviceplan.HasCustomerWith(p)) })
		})},
		privacy.MutationPolicy{systemOnly()},
	)
}

// PlanStep: read in the book; agents update the state of steps in their
// book (a task done is its step done); created and removed by the server.
func PlanStep() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.PlanStepQueryRuleFunc(func(ctx context.Context, q *ent.PlanStepQuery) error {
			return derivedQuery(ctx, func(p predicate.Customer) { q.Where(planstep.HasPlanWith(serviceplan.HasCustomerWith(p))) })
		})},
		privacy.MutationPolicy{privacy.PlanStepMutationRuleFunc(func(ctx context.Context, m *ent.PlanStepMutation) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			if v.IsAgent() && m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) {
				if !v.IsAdmin() {
					m.Where(planstep.HasPlanWith(serviceplan.HasCustomerWith(Book(v))))
				}
				return privacy.Allow
			}
			return privacy.Denyf("access: plan steps are made by the server")
		})},
	)
}

// Interaction: the ledger; agents write in their book.
func Interaction() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.InteractionQueryRuleFunc(func(ctx context.Context, q *ent.InteractionQuery) error {
			p, d := readScope(ctx, InteractionsRead)
			if d != nil {
				return d
			}
			q.Where(interaction.HasCustomerWith(p))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.InteractionMutationRuleFunc(func(ctx context.Context, m *ent.InteractionMutation) error {
			return childWrite(ctx, m.Client(), m.Op(), m.CustomerID, func(p predicate.Customer) { m.Where(interaction.HasCustomerWith(p)) })
		})},
	)
}

// Task: plan steps as work; agents write in their book.
func Task() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.TaskQueryRuleFunc(func(ctx context.Context, q *ent.TaskQuery) error {
			p, d := readScope(ctx, TasksRead)
			if d != nil {
				return d
			}
			q.Where(task.HasCustomerWith(p))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.TaskMutationRuleFunc(func(ctx context.Context, m *ent.TaskMutation) error {
			return childWrite(ctx, m.Client(), m.Op(), m.CustomerID, func(p predicate.Customer) { m.Where(task.HasCustomerWith(p)) })
		})},
	)
}

// Complaint: agents record and work complaints in their book.
func Complaint() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.ComplaintQueryRuleFunc(func(ctx context.Context, q *ent.ComplaintQuery) error {
			p, d := readScope(ctx, ComplaintsRead)
			if d != nil {
				return d
			}
			q.Where(complaint.HasCustomerWith(p))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.ComplaintMutationRuleFunc(func(ctx context.Context, m *ent.ComplaintMutation) error {
			return childWrite(ctx, m.Client(), m.Op(), m.CustomerID, func(p predicate.Customer) { m.Where(complaint.HasCustomerWith(p)) })
		})},
	)
}

// Claim: claim assistance in the book.
func Claim() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.ClaimQueryRuleFunc(func(ctx context.Context, q *ent.ClaimQuery) error {
			p, d := readScope(ctx, ClaimsRead)
			if d != nil {
				return d
			}
			q.Where(claim.HasCustomerWith(p))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.ClaimMutationRuleFunc(func(ctx context.Context, m *ent.ClaimMutation) error {
			return childWrite(ctx, m.Client(), m.Op(), m.CustomerID, func(p predicate.Customer) { m.Where(claim.HasCustomerWith(p)) })
		})},
	)
}

// NpsAnswer: survey answers in the book.
func NpsAnswer() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.NpsAnswerQueryRuleFunc(func(ctx context.Context, q *ent.NpsAnswerQuery) error {
			p, d := readScope(ctx, CustomersRead)
			if d != nil {
				return d
			}
			q.Where(npsanswer.HasCustomerWith(p))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.NpsAnswerMutationRuleFunc(func(ctx context.Context, m *ent.NpsAnswerMutation) error {
			return childWrite(ctx, m.Client(), m.Op(), m.CustomerID, func(p predicate.Customer) { m.Where(npsanswer.HasCustomerWith(p)) })
		})},
	)
}

// Notification: an agent's own inbox.
func Notification() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.NotificationQueryRuleFunc(func(ctx context.Context, q *ent.NotificationQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			if !v.IsAgent() {
				return privacy.Denyf("access: inboxes belong to agents")
			}
			q.Where(notification.AgentID(v.AgentID))
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.NotificationMutationRuleFunc(func(ctx context.Context, m *ent.NotificationMutation) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			if v.IsAgent() && m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) {
				m.Where(notification.AgentID(v.AgentID))
				return privacy.Allow
			}
			return privacy.Denyf("access: notifications are made by the server")
		})},
	)
}

// ToolkitItem: published items for everyone signed in; all states and
// writes for admins.
func ToolkitItem() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.ToolkitItemQueryRuleFunc(func(ctx context.Context, q *ent.ToolkitItemQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			if !v.IsAdmin() {
				q.Where(toolkititem.StatusEQ(toolkititem.StatusPublished))
			}
			return privacy.Allow
		})},
		privacy.MutationPolicy{adminOnly()},
	)
}

// Agent: oneself; a lead their team; admins everyone. Written by admins.
func Agent() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.AgentQueryRuleFunc(func(ctx context.Context, q *ent.AgentQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin():
			case v.IsAgent() && v.Role == viewer.RoleTeamLead && v.TeamID != nil:
				q.Where(agent.Or(agent.ID(v.AgentID), agent.TeamID(*v.TeamID)))
			case v.IsAgent():
				q.Where(agent.ID(v.AgentID))
			default:
				return privacy.Denyf("access: agents are not visible to integrators")
			}
			return privacy.Allow
		})},
		privacy.MutationPolicy{adminOnly()},
	)
}

// Team: one's own team; admins all.
func Team() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.TeamQueryRuleFunc(func(ctx context.Context, q *ent.TeamQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin():
			case v.IsAgent() && v.TeamID != nil:
				q.Where(team.ID(*v.TeamID))
			default:
				return privacy.Denyf("access: no team")
			}
			return privacy.Allow
		})},
		privacy.MutationPolicy{adminOnly()},
	)
}

// Device: an agent's own devices; integrators with devices:write the
// customers' devices.
func Device() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.DeviceQueryRuleFunc(func(ctx context.Context, q *ent.DeviceQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin():
			case v.IsAgent():
				q.Where(device.AgentID(v.AgentID))
			case v.HasScope(DevicesWrite):
				q.Where(device.CustomerIDNotNil())
			default:
				return privacy.Denyf("access: devices:write required")
			}
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.DeviceMutationRuleFunc(func(ctx context.Context, m *ent.DeviceMutation) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAgent():
				if id, ok := m.AgentID(); ok && id != v.AgentID {
					return privacy.Denyf("access: a device of another agent")
				}
				if _, ok := m.CustomerID(); ok {
					return privacy.Denyf("access: agents register their own devices")
				}
				if !m.Op().Is(ent.OpCreate) {
					m.Where(device.AgentID(v.AgentID))
				}
				return privacy.Allow
			case v.HasScope(DevicesWrite):
				if _, ok := m.AgentID(); ok {
					return privacy.Denyf("access: integrators register customers' devices")
				}
				if !m.Op().Is(ent.OpCreate) {
					m.Where(device.CustomerIDNotNil())
				}
				return privacy.Allow
			}
			return privacy.Denyf("access: devices:write required")
		})},
	)
}

// WebhookSubscription: an integrator's own subscriptions (admins all).
func WebhookSubscription() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.WebhookSubscriptionQueryRuleFunc(func(ctx context.Context, q *ent.WebhookSubscriptionQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin():
			case v.HasScope(WebhooksManage):
				q.Where(webhooksubscription.ClientID(v.ClientPK))
			default:
				return privacy.Denyf("access: webhooks:manage required")
			}
			return privacy.Allow
		})},
		privacy.MutationPolicy{privacy.WebhookSubscriptionMutationRuleFunc(func(ctx context.Context, m *ent.WebhookSubscriptionMutation) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin():
			case v.HasScope(WebhooksManage):
				if id, ok := m.ClientID(); ok && id != v.ClientPK {
					return privacy.Denyf("access: a subscription of another client")
				}
				if !m.Op().Is(ent.OpCreate) {
					m.Where(webhooksubscription.ClientID(v.ClientPK))
				}
			default:
				return privacy.Denyf("access: webhooks:manage required")
			}
			return privacy.Allow
		})},
	)
}

// WebhookDelivery: deliveries of one's own subscriptions; written by the server.
func WebhookDelivery() entgo.Policy {
	return policy(
		privacy.QueryPolicy{privacy.WebhookDeliveryQueryRuleFunc(func(ctx context.Context, q *ent.WebhookDeliveryQuery) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			switch {
			case v.IsAdmin():
			case v.HasScope(WebhooksManage):
				q.Where(webhookdelivery.HasSubscriptionWith(webhooksubscription.ClientID(v.ClientPK)))
			default:
				return privacy.Denyf("access: webhooks:manage required")
			}
			return privacy.Allow
		})},
		privacy.MutationPolicy{systemOnly()},
	)
}

// ReadAllWriteAdmin is the policy of reference data everyone signed in
// reads (products, the working-day calendar).
func ReadAllWriteAdmin() entgo.Policy {
	return policy(privacy.QueryPolicy{authenticated()}, privacy.MutationPolicy{adminOnly()})
}

// AdminOnly is the policy of records only admins read and write
// (toolkit revisions, plan rules, integrator clients).
func AdminOnly() entgo.Policy {
	return policy(privacy.QueryPolicy{adminOnly()}, privacy.MutationPolicy{adminOnly()})
}

// AdminReadSystemWrite is the policy of records the server writes and
// admins read (the audit trail, toolkit usage).
func AdminReadSystemWrite() entgo.Policy {
	return policy(privacy.QueryPolicy{adminOnly()}, privacy.MutationPolicy{systemOnly()})
}

// SystemOnly is the policy of the server's own bookkeeping (tokens, the
// change log, outboxes, idempotency records): no request reads or writes
// it except through the capability code, which uses the system context.
func SystemOnly() entgo.Policy {
	return policy(privacy.QueryPolicy{systemOnly()}, privacy.MutationPolicy{systemOnly()})
}

// ToolkitUsage: agents record uses as they work (insert only); admins
// read them; the KPI report reads them as the server.
func ToolkitUsage() entgo.Policy {
	return policy(
		privacy.QueryPolicy{adminOnly()},
		privacy.MutationPolicy{privacy.ToolkitUsageMutationRuleFunc(func(ctx context.Context, m *ent.ToolkitUsageMutation) error {
			v, d := who(ctx)
			if d != nil {
				return d
			}
			if v.IsAgent() && m.Op().Is(ent.OpCreate) {
				if id, ok := m.AgentID(); ok && id != v.AgentID && !v.IsAdmin() {
					return privacy.Denyf("access: usage recorded for another agent")
				}
				return privacy.Allow
			}
			return privacy.Denyf("access: toolkit usage is insert-only")
		})},
	)
}
