package push

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
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
// customer records changed since the last plan.
func (s *Scheduler) incremental(ctx context.Context, now time.Time, st *PlanStats) error {
	c := s.db.Client
	lo, hi := s.horizon(now)
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
		for part := range slices.Chunk(uniq(custIDs), chunk) {
			policies, err := c.InsurancePolicy.Query().Where(insurancepolicy.CustomerIDIn(part...)).All(ctx)
			if err != nil {
				return fmt.Errorf("list changed policies: %w", err)
			}
			for batch := range slices.Chunk(policies, chunk) {
				if err := s.planBatch(ctx, now, lo, hi, batch, st); err != nil {
					return err
				}
			}
		}
		s.seq = entries[len(entries)-1].ID
		if len(entries) < changePage {
			return nil
		}
	}
}
