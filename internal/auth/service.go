package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/integratorclient"
	"github.com/agentdesk/agentdesk/ent/refreshtoken"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Service limits.
const (
	DefaultRefreshTTL   = 30 * 24 * time.Hour
	accountFailures     = 5  // failed logins per account per window
	addressFailures     = 20 // failed logins per client address per window
	failureWindow       = 15 * time.Minute
	invalidCredentials  = "invalid username or password"
	refreshTokenPrefix  = "rt_"
	refreshTokenEntropy = 32
)

// Scopes integrators may hold.
var Scopes = []string{
	"customers:read", "customers:write", "policies:read", "policies:write", "interactions:read",
	"complaints:read", "claims:read", "tasks:read", "reports:read", "devices:write", "webhooks:manage",
}

// Pair is what a login or refresh returns.
type Pair struct {
	AccessToken   string
	AccessExpiry  time.Time
	RefreshToken  string
	RefreshExpiry time.Time
}

// Service logs agents in and out, rotates refresh tokens and grants
// integrator tokens.
type Service struct {
	db         *store.DB
	tokens     *Tokens
	clock      clock.Clock
	log        *slog.Logger
	refreshTTL time.Duration
	accounts   *Throttle
	addresses  *Throttle
	dummyHash  string
}

// NewService returns the identity service.
func NewService(db *store.DB, tokens *Tokens, clk clock.Clock, logger *slog.Logger) (*Service, error) {
	// Unknown accounts are checked against this hash, so they take as
	// long as known ones.
	dummy, err := HashPassword("agentdesk-dummy-password-for-timing")
	if err != nil {
		return nil, err
	}
	return &Service{
		db: db, tokens: tokens, clock: clk, log: logger, refreshTTL: DefaultRefreshTTL,
		accounts:  NewThrottle(clk, accountFailures, failureWindow),
		addresses: NewThrottle(clk, addressFailures, failureWindow),
		dummyHash: dummy,
	}, nil
}

// Tokens returns the access-token issuer and verifier.
func (s *Service) Tokens() *Tokens { return s.tokens }

// Login checks an agent's password and opens a session: an access token
// and the first refresh token of a new family. Failures are throttled per
// account and per client address; the answer never says whether the
// account exists.
func (s *Service) Login(ctx context.Context, username, password, remoteAddr string) (Pair, error) {
	acctKey := "u:" + strings.ToLower(strings.TrimSpace(username))
	addrKey := "a:" + remoteAddr
	for _, k := range []struct {
		t   *Throttle
		key string
	}{{s.accounts, acctKey}, {s.addresses, addrKey}} {
		if blocked, wait := k.t.Blocked(k.key); blocked {
			return Pair{}, apperr.RateLimited(wait, "too many failed logins; try again later")
		}
	}
	sys := SystemContext(ctx)
	a, err := s.db.Client.Agent.Query().Where(agent.Username(strings.TrimSpace(username))).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return Pair{}, fmt.Errorf("load agent: %w", err)
	}
	hash := s.dummyHash
	if a != nil {
		hash = a.PasswordHash
	}
	verr := VerifyPassword(password, hash)
	if a == nil || verr != nil || a.Disabled {
		s.accounts.Fail(acctKey)
		s.addresses.Fail(addrKey)
		return Pair{}, apperr.Unauthenticated(invalidCredentials)
	}
	s.accounts.Reset(acctKey)
	if NeedsRehash(a.PasswordHash) {
		if h, err := HashPassword(password); err == nil {
			if err := s.db.Client.Agent.UpdateOneID(a.ID).SetPasswordHash(h).Exec(sys); err != nil {
				s.log.WarnContext(ctx, "password rehash failed", "agent_id", a.ID, "error", err)
			}
		}
	}
	return s.openSession(sys, a, uuid.Must(uuid.NewV7()))
}

func agentViewer(a *ent.Agent) *Viewer {
	return &Viewer{Kind: KindAgent, AgentID: a.ID, Username: a.Username, Role: Role(a.Role), TeamID: a.TeamID,
		TimeZone: a.TimeZone, Locale: a.Locale}
}

func (s *Service) openSession(ctx context.Context, a *ent.Agent, family uuid.UUID) (Pair, error) {
	access, exp, err := s.tokens.Issue(agentViewer(a))
	if err != nil {
		return Pair{}, err
	}
	raw, hash := newRefreshToken()
	rexp := s.clock.Now().Add(s.refreshTTL)
	err = s.db.Client.RefreshToken.Create().SetAgentID(a.ID).SetFamilyID(family).SetTokenHash(hash).
		SetExpiresAt(rexp).SetCreatedAt(s.clock.Now()).SetUpdatedAt(s.clock.Now()).Exec(ctx)
	if err != nil {
		return Pair{}, fmt.Errorf("store refresh token: %w", err)
	}
	return Pair{AccessToken: access, AccessExpiry: exp, RefreshToken: raw, RefreshExpiry: rexp}, nil
}

func newRefreshToken() (raw, hash string) {
	b := make([]byte, refreshTokenEntropy)
	_, _ = rand.Read(b)
	raw = refreshTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return raw, hashRefresh(raw)
}

// hashRefresh stores refresh tokens as SHA-256: they carry 256 bits of
// entropy, so a fast hash is enough and lookups stay indexed.
func hashRefresh(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

var errRefresh = apperr.Unauthenticated("the refresh token is invalid, expired or revoked; log in again")

// Refresh spends a refresh token and returns a new pair of the same
// family. Presenting a token that was already spent means it was stolen
// or replayed: the whole family is revoked (RFC 6819 §5.2.2.3).
func (s *Service) Refresh(ctx context.Context, raw string) (Pair, error) {
	sys := SystemContext(ctx)
	now := s.clock.Now()
	rt, err := s.db.Client.RefreshToken.Query().Where(refreshtoken.TokenHash(hashRefresh(raw))).WithAgent().Only(sys)
	if ent.IsNotFound(err) {
		return Pair{}, errRefresh
	}
	if err != nil {
		return Pair{}, fmt.Errorf("load refresh token: %w", err)
	}
	if rt.RevokedAt != nil || !now.Before(rt.ExpiresAt) {
		return Pair{}, errRefresh
	}
	a := rt.Edges.Agent
	if rt.SpentAt != nil || a == nil || a.Disabled {
		s.revokeFamily(sys, rt.FamilyID, now)
		if rt.SpentAt != nil {
			s.log.WarnContext(ctx, "refresh token reuse: family revoked", "agent_id", rt.AgentID, "family_id", rt.FamilyID)
		}
		return Pair{}, errRefresh
	}
	// Spend it only if nobody else did in between: of two concurrent
	// refreshes with one token, the loser is treated as reuse.
	n, err := s.db.Client.RefreshToken.Update().
		Where(refreshtoken.ID(rt.ID), refreshtoken.SpentAtIsNil(), refreshtoken.RevokedAtIsNil()).
		SetSpentAt(now).SetUpdatedAt(now).Save(sys)
	if err != nil {
		return Pair{}, fmt.Errorf("spend refresh token: %w", err)
	}
	if n == 0 {
		s.revokeFamily(sys, rt.FamilyID, now)
		return Pair{}, errRefresh
	}
	return s.openSession(sys, a, rt.FamilyID)
}

// Logout revokes the family of a refresh token. An unknown token is not
// an error: the session is over either way.
func (s *Service) Logout(ctx context.Context, raw string) error {
	sys := SystemContext(ctx)
	rt, err := s.db.Client.RefreshToken.Query().Where(refreshtoken.TokenHash(hashRefresh(raw))).Only(sys)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load refresh token: %w", err)
	}
	s.revokeFamily(sys, rt.FamilyID, s.clock.Now())
	return nil
}

// RevokeAgent ends every session of an agent (when disabled).
func (s *Service) RevokeAgent(ctx context.Context, agentID uuid.UUID) error {
	now := s.clock.Now()
	return s.db.Client.RefreshToken.Update().
		Where(refreshtoken.AgentID(agentID), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(now).SetUpdatedAt(now).Exec(SystemContext(ctx))
}

func (s *Service) revokeFamily(ctx context.Context, family uuid.UUID, now time.Time) {
	err := s.db.Client.RefreshToken.Update().
		Where(refreshtoken.FamilyID(family), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(now).SetUpdatedAt(now).Exec(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "revoke refresh family", "family_id", family, "error", err)
	}
}

// OAuthError is an RFC 6749 §5.2 error of the token endpoint.
type OAuthError struct {
	Code        string // invalid_request, invalid_client, invalid_scope, unsupported_grant_type …
	Description string
	RetryAfter  time.Duration
}

func (e *OAuthError) Error() string { return "oauth: " + e.Code + ": " + e.Description }

// ClientCredentials grants an integrator an access token (RFC 6749 §4.4).
// scope is the space-separated request; empty means every scope the
// client holds.
func (s *Service) ClientCredentials(ctx context.Context, clientID, secret, scope, remoteAddr string) (string, time.Time, []string, error) {
	key := "c:" + clientID
	addrKey := "a:" + remoteAddr
	if blocked, wait := s.accounts.Blocked(key); blocked {
		return "", time.Time{}, nil, &OAuthError{Code: "invalid_client", Description: "too many failed attempts", RetryAfter: wait}
	}
	if blocked, wait := s.addresses.Blocked(addrKey); blocked {
		return "", time.Time{}, nil, &OAuthError{Code: "invalid_client", Description: "too many failed attempts", RetryAfter: wait}
	}
	sys := SystemContext(ctx)
	c, err := s.db.Client.IntegratorClient.Query().Where(integratorclient.ClientID(clientID)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return "", time.Time{}, nil, fmt.Errorf("load client: %w", err)
	}
	hash := s.dummyHash
	if c != nil {
		hash = c.SecretHash
	}
	verr := VerifyPassword(secret, hash)
	if c == nil || verr != nil || c.Disabled {
		s.accounts.Fail(key)
		s.addresses.Fail(addrKey)
		return "", time.Time{}, nil, &OAuthError{Code: "invalid_client", Description: "client authentication failed"}
	}
	s.accounts.Reset(key)
	granted := c.Scopes
	if req := strings.Fields(scope); len(req) > 0 {
		for _, sc := range req {
			if !slices.Contains(c.Scopes, sc) {
				return "", time.Time{}, nil, &OAuthError{Code: "invalid_scope", Description: "scope " + sc + " is not granted to this client"}
			}
		}
		granted = req
	}
	now := s.clock.Now()
	if err := s.db.Client.IntegratorClient.UpdateOneID(c.ID).SetLastUsedAt(now).Exec(sys); err != nil {
		s.log.WarnContext(ctx, "record client use", "error", err)
	}
	tok, exp, err := s.tokens.Issue(&Viewer{Kind: KindIntegrator, ClientPK: c.ID, ClientID: c.ClientID, Scopes: granted})
	if err != nil {
		return "", time.Time{}, nil, err
	}
	return tok, exp, granted, nil
}

// Authenticate verifies a bearer token and returns its viewer.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*Viewer, error) {
	v, err := s.tokens.Verify(bearer)
	if err != nil {
		return nil, apperr.Wrap(apperr.KindUnauthenticated, "the access token is invalid or expired", err)
	}
	return v, nil
}

// Me loads the caller's account.
func (s *Service) Me(ctx context.Context, v *Viewer) (*ent.Agent, error) {
	if v.Kind != KindAgent {
		return nil, apperr.Forbidden("only agents have an account")
	}
	a, err := s.db.Client.Agent.Get(SystemContext(ctx), v.AgentID)
	if ent.IsNotFound(err) || (err == nil && a.Disabled) {
		return nil, apperr.Unauthenticated("the account no longer exists or is disabled")
	}
	if err != nil {
		return nil, fmt.Errorf("load agent: %w", err)
	}
	return a, nil
}
