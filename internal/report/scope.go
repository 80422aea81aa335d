package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// ReadScope is the integrator scope that may read every report.
const ReadScope = "reports:read"

// ResolveScope decides whose figures the viewer on ctx gets for the
// requested scope (the query's team_id and agent_id), because the KPI
// queries bypass the ent access rules:
//
//   - an agent gets their own figures (asking for another agent or a team
//     is apperr.Forbidden);
//   - a team lead gets their team's, or one member's (defaulting to the
//     team);
//   - an admin, an integrator with reports:read, and the system get any
//     scope, everyone's when none is asked for.
//
// A requested agent or team that does not exist is apperr.NotFound; an
// agent asked for together with a team they are not in is apperr.Invalid.
func ResolveScope(ctx context.Context, db *store.DB, req Scope) (Scope, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return Scope{}, apperr.Unauthenticated("no caller")
	}
	anyScope := v.Kind == auth.KindSystem || v.IsAdmin() || v.HasScope(ReadScope)
	switch {
	case anyScope:
	case v.Kind != auth.KindAgent:
		return Scope{}, apperr.Forbidden("reports need the reports:read scope")
	case v.Role == auth.RoleTeamLead:
		if v.TeamID == nil {
			return Scope{}, apperr.Forbidden("a team lead without a team has no team report")
		}
		if req.TeamID != nil && *req.TeamID != *v.TeamID {
			return Scope{}, apperr.Forbidden("team leads see their own team's reports")
		}
	default:
		if req.TeamID != nil || req.AgentID != nil && *req.AgentID != v.AgentID {
			return Scope{}, apperr.Forbidden("agents see their own reports")
		}
		self := v.AgentID
		return Scope{AgentID: &self}, nil
	}
	if !anyScope && req.TeamID == nil {
		team := *v.TeamID
		req.TeamID = &team
	}
	if req.TeamID != nil {
		if err := teamExists(ctx, db, *req.TeamID); err != nil {
			return Scope{}, err
		}
	}
	if req.AgentID != nil {
		team, err := agentTeamOf(ctx, db, *req.AgentID)
		if err != nil {
			return Scope{}, err
		}
		if req.TeamID != nil && (team == nil || *team != *req.TeamID) {
			if !anyScope {
				return Scope{}, apperr.Forbidden("team leads see their own team's reports")
			}
			return Scope{}, apperr.Invalid("the agent is not in the team",
				apperr.FieldError{Field: "agent_id", Code: "not_in_team", Message: "is not a member of team_id"})
		}
	}
	return req, nil
}

func agentTeamOf(ctx context.Context, db *store.DB, id uuid.UUID) (*uuid.UUID, error) {
	var s stmt
	s.w("SELECT team_id FROM agents WHERE id = ?", id)
	var team uuid.NullUUID
	err := db.SQL.QueryRowContext(ctx, s.query(db.Dialect), s.args...).Scan(&team)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("agent not found")
	}
	if err != nil {
		return nil, fmt.Errorf("load agent %s: %w", id, err)
	}
	if !team.Valid {
		return nil, nil
	}
	return &team.UUID, nil
}

func teamExists(ctx context.Context, db *store.DB, id uuid.UUID) error {
	var s stmt
	s.w("SELECT COUNT(*) FROM teams WHERE id = ?", id)
	var n int
	if err := db.SQL.QueryRowContext(ctx, s.query(db.Dialect), s.args...).Scan(&n); err != nil {
		return fmt.Errorf("load team %s: %w", id, err)
	}
	if n == 0 {
		return apperr.NotFound("team not found")
	}
	return nil
}
