package syncer

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// scope is the caller of a sync request as the database says now: the
// role and team come from the agent's row, not from the access token,
// which may be older than a team move.
type scope struct {
	agent *ent.Agent
	v     *auth.Viewer
	vctx  context.Context // the caller's context with the current viewer: reads through the access rules
	sys   context.Context // the server's eyes, for the change log
	admin bool
	lead  bool
	team  uuid.UUID // the lead's team

	// base is the pull's base watermark; teams holds, per agent, its team
	// now and its team moves after base (leads only: other books do not
	// depend on teams).
	base  int64
	teams map[uuid.UUID]*agentTeams
}

// scopeOf loads the caller. Sync serves agents (of every role) only.
func (e *Engine) scopeOf(ctx context.Context) (*scope, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return nil, apperr.Unauthenticated("authentication required")
	}
	if v.Kind != auth.KindAgent {
		return nil, apperr.Forbidden("sync serves the devices of agents")
	}
	sys := auth.SystemContext(ctx)
	a, err := e.db.Client.Agent.Get(sys, v.AgentID)
	if ent.IsNotFound(err) || (err == nil && a.Disabled) {
		return nil, apperr.Unauthenticated("the account no longer exists or is disabled")
	}
	if err != nil {
		return nil, fmt.Errorf("load agent %s: %w", v.AgentID, err)
	}
	fresh := *v
	fresh.Role, fresh.TeamID = auth.Role(a.Role), a.TeamID
	s := &scope{agent: a, v: &fresh, vctx: auth.WithViewer(ctx, &fresh), sys: sys,
		admin: fresh.Role == auth.RoleAdmin, teams: map[uuid.UUID]*agentTeams{}}
	if fresh.Role == auth.RoleTeamLead && fresh.TeamID != nil {
		s.lead, s.team = true, *fresh.TeamID
	}
	return s, nil
}

// agentTeams is an agent's team now and its moves after a base watermark.
type agentTeams struct {
	now   *uuid.UUID
	moves []*ent.ChangeLog // in sequence order
}

// loadEvents prepares the team history of a pull from watermark base:
// for a lead, a move of the lead themself after base makes the cursor
// unservable (the whole scope changed).
func (e *Engine) loadEvents(s *scope, base int64) error {
	s.base, s.teams = base, map[uuid.UUID]*agentTeams{}
	if !s.lead {
		return nil
	}
	moved, err := e.db.Client.ChangeLog.Query().
		Where(changelog.CollectionEQ(store.Agents), changelog.RecordID(s.agent.ID), changelog.IDGT(base)).Exist(s.sys)
	if err != nil {
		return fmt.Errorf("read team moves: %w", err)
	}
	if moved {
		return gone("the caller moved to another team: pull from the start")
	}
	return nil
}

// teamsOf loads an agent's team and then its moves after the base: in
// this order, every move that the team read reflects is among the moves.
func (e *Engine) teamsOf(s *scope, id uuid.UUID) (*agentTeams, error) {
	if t, ok := s.teams[id]; ok {
		return t, nil
	}
	t := &agentTeams{}
	a, err := e.db.Client.Agent.Query().Where(agent.ID(id)).Select(agent.FieldTeamID).Only(s.sys)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("load agent %s: %w", id, err)
	default:
		t.now = a.TeamID
	}
	t.moves, err = e.db.Client.ChangeLog.Query().
		Where(changelog.CollectionEQ(store.Agents), changelog.RecordID(id), changelog.IDGT(s.base)).
		Order(ent.Asc(changelog.FieldID)).All(s.sys)
	if err != nil {
		return nil, fmt.Errorf("read team moves of %s: %w", id, err)
	}
	s.teams[id] = t
	return t, nil
}

// teamAt returns an agent's team just after seq (seq ≥ the base): the
// team it left at its first move after seq, or its team now.
func (e *Engine) teamAt(s *scope, id uuid.UUID, seq int64) (*uuid.UUID, error) {
	t, err := e.teamsOf(s, id)
	if err != nil {
		return nil, err
	}
	for _, ev := range t.moves {
		if ev.ID > seq {
			return ev.PrevTeamID, nil
		}
	}
	return t.now, nil
}

// heldBy reports whether the customers of agent id were in the caller's
// book just after seq: the caller's own, or for a lead those of an agent
// then in the team. Admins hold every customer.
func (e *Engine) heldBy(s *scope, id *uuid.UUID, seq int64) (bool, error) {
	switch {
	case s.admin:
		return true, nil
	case id == nil || *id == uuid.Nil:
		return false, nil
	case *id == s.agent.ID:
		return true, nil
	case !s.lead:
		return false, nil
	}
	t, err := e.teamAt(s, *id, seq)
	if err != nil {
		return false, err
	}
	return t != nil && *t == s.team, nil
}
