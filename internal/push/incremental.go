package push

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/store"
)

// changePage bounds one read of the change log.
const changePage = 5000

// lastChange returns the change log's newest sequence number. Sequence
// numbers are drawn at commit under a lock, so every change up to a
// visible number is committed: reading on from it misses nothing.
func (s *Scheduler) lastChange(ctx context.Context) (int64, error) {
	last, err := s.db.Client.ChangeLog.Query().Order(ent.Desc(changelog.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read change log: %w", err)
	}
	return last.ID, nil
}

// incremental plans the policies of the customers whose policies or
// customer records changed since the last plan, and of the recipients
// whose time zone may have changed (see recipients).
func (s *Scheduler) incremental(ctx context.Context, now time.Time, st *PlanStats) error {
	if err := s.changed(ctx, now, st); err != nil {
		return err
	}
	return s.recipients(ctx, now, st)
}

// recipientSlack widens each read of the recipients' changes, so that a
// change committed late with an earlier updated_at (a slow transaction,
// another replica's clock) is still seen. Planning a customer twice does
// no harm.
const recipientSlack = time.Minute

// recipients plans again the policies of the recipients whose records
// changed since the last read: the customers of an agent whose record
// changed (its time zone, which places the agent's reminders), and the
// customers whose devices were registered or refreshed (the customer's
// reminders follow the zone of the most recent device). Neither is in the
// change log, so they are found by updated_at. Pending reminders not yet
// tried move to the new send times at once (planBatch reschedules them).
// A device deleted outright is seen by the next full plan.
func (s *Scheduler) recipients(ctx context.Context, now time.Time, st *PlanStats) error {
	c := s.db.Client
	since := s.recipAt.Add(-recipientSlack)
	agentIDs, err := c.Agent.Query().Where(agent.UpdatedAtGT(since)).IDs(ctx)
	if err != nil {
		return fmt.Errorf("list changed agents: %w", err)
	}
	var custIDs []uuid.UUID
	devs, err := c.Device.Query().Where(device.UpdatedAtGT(since), device.CustomerIDNotNil()).
		Select(device.FieldCustomerID).All(ctx)
	if err != nil {
		return fmt.Errorf("list changed devices: %w", err)
	}
	for _, d := range devs {
		custIDs = append(custIDs, *d.CustomerID)
	}
	for part := range slices.Chunk(agentIDs, chunk) {
		ids, err := c.Customer.Query().Where(customer.AgentIDIn(part...)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("list customers of changed agents: %w", err)
		}
		custIDs = append(custIDs, ids...)
	}
	if err := s.planCustomers(ctx, now, uniq(custIDs), st); err != nil {
		return err
	}
	s.recipAt = now
	return nil
}

// planCustomers plans the policies of these customers.
func (s *Scheduler) planCustomers(ctx context.Context, now time.Time, custIDs []uuid.UUID, st *PlanStats) error {
	lo, hi := s.horizon(now)
	for part := range slices.Chunk(custIDs, chunk) {
		policies, err := s.db.Client.InsurancePolicy.Query().Where(insurancepolicy.CustomerIDIn(part...)).All(ctx)
		if err != nil {
			return fmt.Errorf("list changed policies: %w", err)
		}
		for batch := range slices.Chunk(policies, chunk) {
			if err := s.planBatch(ctx, now, lo, hi, batch, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// changed plans the policies of the customers whose policies or customer
// records are in the change log since the last plan.
func (s *Scheduler) changed(ctx context.Context, now time.Time, st *PlanStats) error {
	c := s.db.Client
	for {
		entries, err := c.ChangeLog.Query().
			Where(changelog.IDGT(s.seq), changelog.CollectionIn(store.Policies, store.Customers)).
			Order(ent.Asc(changelog.FieldID)).Limit(changePage).
			Select(changelog.FieldID, changelog.FieldCustomerID).All(ctx)
		if err != nil {
			return fmt.Errorf("read change log: %w", err)
		}
		if len(entries) == 0 {
			return nil
		}
		var custIDs []uuid.UUID
		for _, e := range entries {
			if e.CustomerID != nil {
				custIDs = append(custIDs, *e.CustomerID)
			}
		}
		if err := s.planCustomers(ctx, now, uniq(custIDs), st); err != nil {
			return err
		}
		s.seq = entries[len(entries)-1].ID
		if len(entries) < changePage {
			return nil
		}
	}
}
