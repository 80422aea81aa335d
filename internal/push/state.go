package push

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/reminder"
)

// zones caches loaded time zones; an unknown name resolves to the default.
type zones struct {
	def *time.Location
	mu  sync.Mutex
	m   map[string]*time.Location
}

func newZones(def string) (*zones, error) {
	loc, err := time.LoadLocation(def)
	if err != nil {
		return nil, fmt.Errorf("default time zone: %w", err)
	}
	return &zones{def: loc, m: map[string]*time.Location{}}, nil
}

func (z *zones) get(name string) *time.Location {
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.m[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		loc = z.def
	}
	z.m[name] = loc
	return loc
}

// policyState is what planning and sending need to know about a policy:
// its customer, the customer's agent and the customer's newest device.
type policyState struct {
	policy   *ent.InsurancePolicy
	customer *ent.Customer
	agent    *ent.Agent  // nil when the customer has no agent
	custDev  *ent.Device // the customer's most recently seen enabled device
}

// chunk is the number of IDs per IN list, well under both databases'
// parameter limits.
const chunk = 500

// loadPolicies reads policies by ID.
func loadPolicies(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]*ent.InsurancePolicy, error) {
	var out []*ent.InsurancePolicy
	for part := range slices.Chunk(ids, chunk) {
		ps, err := c.InsurancePolicy.Query().Where(insurancepolicy.IDIn(part...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load policies: %w", err)
		}
		out = append(out, ps...)
	}
	return out, nil
}

// loadStates completes policies with their customers, agents and the
// customers' newest devices.
func loadStates(ctx context.Context, c *ent.Client, policies []*ent.InsurancePolicy) (map[uuid.UUID]*policyState, error) {
	out, err := loadPeople(ctx, ctx, c, policies)
	if err != nil {
		return nil, err
	}
	var custIDs []uuid.UUID
	for _, st := range out {
		if st.customer != nil {
			custIDs = append(custIDs, st.customer.ID)
		}
	}
	devs := map[uuid.UUID]*ent.Device{}
	for part := range slices.Chunk(uniq(custIDs), chunk) {
		ds, err := c.Device.Query().
			Where(device.CustomerIDIn(part...), device.Enabled(true)).
			Order(ent.Desc(device.FieldLastSeenAt), ent.Asc(device.FieldID)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load customer devices: %w", err)
		}
		for _, d := range ds {
			if _, ok := devs[*d.CustomerID]; !ok {
				devs[*d.CustomerID] = d
			}
		}
	}
	for _, st := range out {
		if st.customer != nil {
			st.custDev = devs[st.customer.ID]
		}
	}
	return out, nil
}

// loadPeople completes policies with their customers (read with ctx) and
// agents (read with agentCtx: the report reads the caller's customers but
// needs their agents' zones, which integrators may not see).
func loadPeople(ctx, agentCtx context.Context, c *ent.Client, policies []*ent.InsurancePolicy) (map[uuid.UUID]*policyState, error) {
	out := make(map[uuid.UUID]*policyState, len(policies))
	custIDs := make([]uuid.UUID, 0, len(policies))
	for _, p := range policies {
		out[p.ID] = &policyState{policy: p}
		custIDs = append(custIDs, p.CustomerID)
	}
	custIDs = uniq(custIDs)
	customers := map[uuid.UUID]*ent.Customer{}
	var agentIDs []uuid.UUID
	for part := range slices.Chunk(custIDs, chunk) {
		cs, err := c.Customer.Query().Where(customer.IDIn(part...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load customers: %w", err)
		}
		for _, cu := range cs {
			customers[cu.ID] = cu
			if cu.AgentID != nil {
				agentIDs = append(agentIDs, *cu.AgentID)
			}
		}
	}
	agents := map[uuid.UUID]*ent.Agent{}
	for part := range slices.Chunk(uniq(agentIDs), chunk) {
		as, err := c.Agent.Query().Where(agent.IDIn(part...)).All(agentCtx)
		if err != nil {
			return nil, fmt.Errorf("load agents: %w", err)
		}
		for _, a := range as {
			agents[a.ID] = a
		}
	}
	for _, st := range out {
		st.customer = customers[st.policy.CustomerID]
		if st.customer != nil && st.customer.AgentID != nil {
			st.agent = agents[*st.customer.AgentID]
		}
	}
	return out, nil
}

// dueDate returns the policy's date of a due kind.
func dueDate(p *ent.InsurancePolicy, kind reminder.DueKind) *time.Time {
	if kind == reminder.DueKindPremium {
		return p.NextPremiumDueDate
	}
	return p.RenewalDate
}

// Reasons a reminder is cancelled (Reminder.last_error of a cancelled row).
const (
	reasonPolicyGone       = "policy_deleted"
	reasonDateChanged      = "due_date_changed"
	reasonWindowRemoved    = "window_removed"
	reasonRecipientChanged = "recipient_changed"
	reasonAgentDisabled    = "agent_disabled"
	reasonCustomerChanged  = "customer_changed"
	reasonConsentWithdrawn = "consent_withdrawn"
	reasonNoDevice         = "no_device"
)

// check returns why a reminder row no longer matches its policy (its
// cancellation reason), or "" when it still stands.
func (c *Config) check(r *ent.Reminder, st *policyState) string {
	if st == nil || st.customer == nil {
		return reasonPolicyGone
	}
	p := st.policy
	if p.Status != insurancepolicy.StatusActive && p.Status != insurancepolicy.StatusGrace {
		return "policy_" + p.Status.String()
	}
	if d := dueDate(p, r.DueKind); d == nil || !dateOf(*d).Equal(dateOf(r.DueDate)) {
		return reasonDateChanged
	}
	if !slices.Contains(c.windowsFor(p.Line, r.DueKind), r.WindowDays) {
		return reasonWindowRemoved
	}
	if r.CustomerID != p.CustomerID {
		return reasonCustomerChanged
	}
	switch r.RecipientKind {
	case reminder.RecipientKindAgent:
		if st.customer.AgentID == nil || *st.customer.AgentID != r.RecipientID {
			return reasonRecipientChanged
		}
		if st.agent == nil || st.agent.Disabled {
			return reasonAgentDisabled
		}
	case reminder.RecipientKindCustomer:
		if r.RecipientID != st.customer.ID {
			return reasonRecipientChanged
		}
		if !st.customer.Consent.Push {
			return reasonConsentWithdrawn
		}
		if st.custDev == nil {
			return reasonNoDevice
		}
	}
	return ""
}

// recipientZone returns the time zone of a reminder's recipient.
func recipientZone(z *zones, kind reminder.RecipientKind, st *policyState) *time.Location {
	switch {
	case kind == reminder.RecipientKindAgent && st.agent != nil:
		return z.get(st.agent.TimeZone)
	case kind == reminder.RecipientKindCustomer && st.custDev != nil:
		return z.get(st.custDev.TimeZone)
	}
	return z.def
}

func uniq(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
