package syncer

import (
	"context"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/store"
)

// RecordTeamMove records in the change log that an agent moved from one
// team to another (nil: no team), so that the next pulls of the team
// leads drop or backfill the agent's customers. Call it inside the
// store.DB.WithTx that changes the agent's team, with the ctx WithTx
// passes, once per transaction. A team lead who moves gets 410
// sync-reset-required at the next pull: their whole scope changed.
func RecordTeamMove(ctx context.Context, agentID uuid.UUID, from, to *uuid.UUID) error {
	if sameTeam(from, to) {
		return nil
	}
	return store.RecordAgentEvent(ctx, agentID, from, to, store.AgentTeamMoved)
}

func sameTeam(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
