package toolkit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitusage"
	"github.com/agentdesk/agentdesk/internal/apperr"
)

// Usage is one use of toolkit items in an interaction or a task, the input
// of the toolkit-usage KPI.
type Usage struct {
	ItemIDs       []uuid.UUID
	AgentID       *uuid.UUID
	CustomerID    *uuid.UUID
	InteractionID *uuid.UUID
	TaskID        *uuid.UUID
	At            time.Time
}

// RecordUsage records the use of each item in u, with the item's published
// revision, inside the caller's transaction. An item already recorded for
// the same interaction or task is not recorded again, so a replayed write
// counts once. An unknown item is apperr.Invalid with the field
// /toolkit_item_ids/i.
func RecordUsage(ctx context.Context, tx *ent.Tx, u Usage) error {
	if len(u.ItemIDs) == 0 {
		return nil
	}
	items, err := tx.ToolkitItem.Query().Where(toolkititem.IDIn(u.ItemIDs...)).
		Select(toolkititem.FieldID, toolkititem.FieldRevision).All(ctx)
	if err != nil {
		return fmt.Errorf("record toolkit usage: %w", err)
	}
	revision := make(map[uuid.UUID]int, len(items))
	for _, it := range items {
		revision[it.ID] = it.Revision
	}
	var errs []apperr.FieldError
	for i, id := range u.ItemIDs {
		if _, ok := revision[id]; !ok {
			errs = append(errs, fieldErr(fmt.Sprintf("/toolkit_item_ids/%d", i), "unknown", "no toolkit item %s", id))
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid("unknown toolkit items", errs...)
	}
	q := tx.ToolkitUsage.Query().Where(toolkitusage.ItemIDIn(u.ItemIDs...))
	switch {
	case u.TaskID != nil:
		q.Where(toolkitusage.TaskID(*u.TaskID))
	case u.InteractionID != nil:
		q.Where(toolkitusage.InteractionID(*u.InteractionID))
	default:
		q = nil
	}
	done := map[uuid.UUID]bool{}
	if q != nil {
		prev, err := q.Select(toolkitusage.FieldItemID).All(ctx)
		if err != nil {
			return fmt.Errorf("record toolkit usage: %w", err)
		}
		for _, p := range prev {
			done[p.ItemID] = true
		}
	}
	var builders []*ent.ToolkitUsageCreate
	for _, id := range u.ItemIDs {
		if done[id] {
			continue
		}
		done[id] = true
		builders = append(builders, tx.ToolkitUsage.Create().SetItemID(id).SetRevision(revision[id]).
			SetNillableAgentID(u.AgentID).SetNillableCustomerID(u.CustomerID).
			SetNillableInteractionID(u.InteractionID).SetNillableTaskID(u.TaskID).SetUsedAt(u.At))
	}
	if len(builders) == 0 {
		return nil
	}
	if err := tx.ToolkitUsage.CreateBulk(builders...).Exec(ctx); err != nil {
		return fmt.Errorf("record toolkit usage: %w", err)
	}
	return nil
}
