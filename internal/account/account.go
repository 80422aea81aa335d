// Package account manages the people and clients of AgentDesk: agents and
// their roles and teams, and integrator clients. Team and role changes
// move what an agent's (and a lead's) phone holds, so they are recorded
// for sync in the same transaction.
package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/integratorclient"
	"github.com/agentdesk/agentdesk/ent/team"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Service manages accounts.
type Service struct {
	db    *store.DB
	auth  *auth.Service
	clock clock.Clock
}

// NewService returns the account service.
func NewService(db *store.DB, a *auth.Service, clk clock.Clock) *Service {
	return &Service{db: db, auth: a, clock: clk}
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

func requireAdmin(ctx context.Context) error {
	v, ok := auth.ViewerFrom(ctx)
	if !ok || !v.IsAdmin() {
		return apperr.Forbidden("admins only")
	}
	return nil
}

// AgentInput creates or changes an agent; nil means "not given".
type AgentInput struct {
	Username    string
	DisplayName *string
	Password    *string
	Role        *string
	TeamID      *uuid.UUID
	TimeZone    *string
	Locale      *string
	Disabled    *bool
}

func (in AgentInput) validate(create bool) error {
	var fe []apperr.FieldError
	bad := func(f, code, m string) { fe = append(fe, apperr.FieldError{Field: f, Code: code, Message: m}) }
	if create && !usernamePattern.MatchString(in.Username) {
		bad("/username", "format", "2 to 64 characters: lower-case letters, digits, '.', '_' or '-'")
	}
	if in.Password != nil && utf8.RuneCountInString(*in.Password) < 10 {
		bad("/password", "length", "at least 10 characters")
	}
	if in.DisplayName != nil && utf8.RuneCountInString(*in.DisplayName) > 100 {
		bad("/display_name", "length", "at most 100 characters")
	}
	if in.TimeZone != nil {
		if _, err := time.LoadLocation(*in.TimeZone); err != nil || *in.TimeZone == "" {
			bad("/time_zone", "format", "an IANA time zone such as Asia/Shanghai")
		}
	}
	if len(fe) > 0 {
		return apperr.Invalid("the agent is invalid", fe...)
	}
	return nil
}

// ListAgents returns the agents the caller may see (self; a lead's team;
// admins all), in id order.
func (s *Service) ListAgents(ctx context.Context, teamID *uuid.UUID, role *string, disabled *bool, after *uuid.UUID, limit int) ([]*ent.Agent, error) {
	q := s.db.Client.Agent.Query()
	if teamID != nil {
		q.Where(agent.TeamID(*teamID))
	}
	if role != nil {
		q.Where(agent.RoleEQ(agent.Role(*role)))
	}
	if disabled != nil {
		q.Where(agent.Disabled(*disabled))
	}
	if after != nil {
		q.Where(agent.IDGT(*after))
	}
	return q.Order(ent.Asc(agent.FieldID)).Limit(limit).All(ctx)
}

// GetAgent returns an agent the caller may see.
func (s *Service) GetAgent(ctx context.Context, id uuid.UUID) (*ent.Agent, error) {
	a, err := s.db.Client.Agent.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("no such agent")
	}
	return a, err
}

// CreateAgent adds an account (admins).
func (s *Service) CreateAgent(ctx context.Context, in AgentInput) (*ent.Agent, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if in.Password == nil || in.Role == nil {
		return nil, apperr.Invalid("password and role are required")
	}
	if err := in.validate(true); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(*in.Password)
	if err != nil {
		return nil, err
	}
	var out *ent.Agent
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if in.TeamID != nil {
			if ok, err := tx.Team.Query().Where(team.ID(*in.TeamID)).Exist(ctx); err != nil || !ok {
				return apperr.Invalid("no such team", apperr.FieldError{Field: "/team_id", Code: "exists", Message: "no such team"})
			}
		}
		c := tx.Agent.Create().SetUsername(in.Username).SetPasswordHash(hash).SetRole(agent.Role(*in.Role)).
			SetNillableTeamID(in.TeamID).SetNillableTimeZone(in.TimeZone).SetNillableLocale(in.Locale).
			SetCreatedAt(s.clock.Now()).SetUpdatedAt(s.clock.Now())
		if in.DisplayName != nil {
			c.SetDisplayName(*in.DisplayName)
		}
		var err error
		out, err = c.Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Conflict("the username is taken")
		}
		if err != nil {
			return err
		}
		if in.TeamID != nil {
			return recordTeamMove(ctx, out.ID, nil, in.TeamID)
		}
		return nil
	})
	return out, err
}

// UpdateAgent changes an account (admins). Disabling it or changing its
// password ends its sessions; a team move is recorded for sync; a role
// change bumps its scope epoch, so its phones re-bootstrap.
func (s *Service) UpdateAgent(ctx context.Context, id uuid.UUID, in AgentInput) (*ent.Agent, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := in.validate(false); err != nil {
		return nil, err
	}
	var hash string
	if in.Password != nil {
		h, err := auth.HashPassword(*in.Password)
		if err != nil {
			return nil, err
		}
		hash = h
	}
	var out *ent.Agent
	endSessions := false
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.Agent.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("no such agent")
		}
		if err != nil {
			return err
		}
		u := tx.Agent.UpdateOneID(id).SetUpdatedAt(s.clock.Now())
		if in.DisplayName != nil {
			u.SetDisplayName(*in.DisplayName)
		}
		if in.TimeZone != nil {
			u.SetTimeZone(*in.TimeZone)
		}
		if in.Locale != nil {
			u.SetLocale(*in.Locale)
		}
		if hash != "" {
			u.SetPasswordHash(hash)
			endSessions = true
		}
		if in.Disabled != nil && *in.Disabled != cur.Disabled {
			u.SetDisabled(*in.Disabled)
			if *in.Disabled {
				u.SetDisabledAt(s.clock.Now())
				endSessions = true
			} else {
				u.ClearDisabledAt()
			}
		}
		roleChanged := in.Role != nil && *in.Role != string(cur.Role)
		if roleChanged {
			u.SetRole(agent.Role(*in.Role)).AddScopeEpoch(1)
			endSessions = true // the tokens carry the old role
		}
		toTeam := cur.TeamID
		if in.TeamID != nil && (cur.TeamID == nil || *cur.TeamID != *in.TeamID) {
			if ok, err := tx.Team.Query().Where(team.ID(*in.TeamID)).Exist(ctx); err != nil || !ok {
				return apperr.Invalid("no such team", apperr.FieldError{Field: "/team_id", Code: "exists", Message: "no such team"})
			}
			u.SetTeamID(*in.TeamID)
			toTeam = in.TeamID
			endSessions = true // the tokens carry the old team
		}
		if roleChanged || toTeam != cur.TeamID {
			err := recordScopeEvent(ctx, id, cur.TeamID, toTeam, roleChanged, roleChanged && cur.Role == agent.RoleAdmin)
			if err != nil {
				return err
			}
		}
		out, err = u.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if endSessions {
		if err := s.auth.RevokeAgent(ctx, id); err != nil {
			return nil, fmt.Errorf("end sessions: %w", err)
		}
	}
	return out, nil
}

// recordTeamMove logs an agent's move between teams, so the leads' phones
// drop or receive the agent's customers.
func recordTeamMove(ctx context.Context, agentID uuid.UUID, from, to *uuid.UUID) error {
	return recordScopeEvent(ctx, agentID, from, to, false, false)
}

// recordScopeEvent logs, once per transaction, that an agent moved
// between teams or had its role changed (or both): the leads' phones
// follow the move, and clients whose checkpoint carries no scope epoch
// (RxDB's) see that the agent's own scope changed.
func recordScopeEvent(ctx context.Context, agentID uuid.UUID, from, to *uuid.UUID, roleChanged, leftAdmin bool) error {
	v := store.AgentTeamMoved
	switch {
	case leftAdmin:
		v = store.AgentLeftAdmin
	case roleChanged:
		v = store.AgentRoleChanged
	}
	return store.RecordAgentEvent(ctx, agentID, from, to, v)
}

// TeamWithLead is a team and its lead, if any.
type TeamWithLead struct {
	*ent.Team
	LeadID *uuid.UUID
}

// ListTeams returns the teams the caller may see, with their leads.
func (s *Service) ListTeams(ctx context.Context, after *uuid.UUID, limit int) ([]TeamWithLead, error) {
	q := s.db.Client.Team.Query()
	if after != nil {
		q.Where(team.IDGT(*after))
	}
	teams, err := q.Order(ent.Asc(team.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TeamWithLead, 0, len(teams))
	for _, t := range teams {
		tl := TeamWithLead{Team: t}
		lead, err := s.db.Client.Agent.Query().Where(agent.TeamID(t.ID), agent.RoleEQ(agent.RoleTeamLead)).
			Order(ent.Asc(agent.FieldID)).First(auth.SystemContext(ctx))
		if err == nil {
			tl.LeadID = &lead.ID
		}
		out = append(out, tl)
	}
	return out, nil
}

// CreateTeam adds a team (admins); a named lead becomes its team lead.
func (s *Service) CreateTeam(ctx context.Context, name string, leadID *uuid.UUID) (TeamWithLead, error) {
	if err := requireAdmin(ctx); err != nil {
		return TeamWithLead{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return TeamWithLead{}, apperr.Invalid("the team is invalid", apperr.FieldError{Field: "/name", Code: "length", Message: "1 to 100 characters"})
	}
	var out TeamWithLead
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		t, err := tx.Team.Create().SetName(name).SetCreatedAt(s.clock.Now()).SetUpdatedAt(s.clock.Now()).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Conflict("a team of this name exists")
		}
		if err != nil {
			return err
		}
		out.Team = t
		if leadID == nil {
			return nil
		}
		lead, err := tx.Agent.Get(ctx, *leadID)
		if ent.IsNotFound(err) {
			return apperr.Invalid("no such agent", apperr.FieldError{Field: "/lead_id", Code: "exists", Message: "no such agent"})
		}
		if err != nil {
			return err
		}
		u := tx.Agent.UpdateOneID(lead.ID).SetTeamID(t.ID)
		promoted := lead.Role != agent.RoleTeamLead
		if promoted {
			u.SetRole(agent.RoleTeamLead).AddScopeEpoch(1)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		out.LeadID = &lead.ID
		return recordScopeEvent(ctx, lead.ID, lead.TeamID, &t.ID, promoted, promoted && lead.Role == agent.RoleAdmin)
	})
	if err == nil && leadID != nil {
		err = s.auth.RevokeAgent(ctx, *leadID)
	}
	return out, err
}

// ListClients returns the integrator clients (admins).
func (s *Service) ListClients(ctx context.Context, after *uuid.UUID, limit int) ([]*ent.IntegratorClient, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	q := s.db.Client.IntegratorClient.Query().Where(integratorclient.Disabled(false))
	if after != nil {
		q.Where(integratorclient.IDGT(*after))
	}
	return q.Order(ent.Asc(integratorclient.FieldID)).Limit(limit).All(ctx)
}

// CreateClient registers an integrator client and returns its secret,
// which is stored only hashed and shown this once (admins).
func (s *Service) CreateClient(ctx context.Context, clientID, name string, scopes []string) (*ent.IntegratorClient, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	var fe []apperr.FieldError
	if !usernamePattern.MatchString(clientID) {
		fe = append(fe, apperr.FieldError{Field: "/client_id", Code: "format", Message: "2 to 64 characters: lower-case letters, digits, '.', '_' or '-'"})
	}
	for i, sc := range scopes {
		if !slices.Contains(auth.Scopes, sc) {
			fe = append(fe, apperr.FieldError{Field: fmt.Sprintf("/scopes/%d", i), Code: "enum", Message: "unknown scope"})
		}
	}
	if len(scopes) == 0 {
		fe = append(fe, apperr.FieldError{Field: "/scopes", Code: "required", Message: "at least one scope"})
	}
	if len(fe) > 0 {
		return nil, "", apperr.Invalid("the client is invalid", fe...)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	hash, err := auth.HashPassword(secret)
	if err != nil {
		return nil, "", err
	}
	c, err := s.db.Client.IntegratorClient.Create().SetClientID(clientID).SetName(name).SetSecretHash(hash).
		SetScopes(scopes).SetCreatedAt(s.clock.Now()).SetUpdatedAt(s.clock.Now()).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, "", apperr.Conflict("a client with this client_id exists")
	}
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

// DeleteClient disables an integrator client: its tokens stop at once
// being renewed (admins).
func (s *Service) DeleteClient(ctx context.Context, id uuid.UUID) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	n, err := s.db.Client.IntegratorClient.Update().Where(integratorclient.ID(id), integratorclient.Disabled(false)).
		SetDisabled(true).SetUpdatedAt(s.clock.Now()).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.NotFound("no such client")
	}
	return nil
}
