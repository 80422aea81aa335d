package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/auth"
)

func tokenPair(p auth.Pair, now time.Time) api.TokenPair {
	return api.TokenPair{
		AccessToken:      p.AccessToken,
		RefreshToken:     p.RefreshToken,
		TokenType:        "Bearer",
		ExpiresIn:        seconds(p.AccessExpiry.Sub(now)),
		RefreshExpiresIn: seconds(p.RefreshExpiry.Sub(now)),
	}
}

func seconds(d time.Duration) int32 {
	return int32(min(math.Ceil(d.Seconds()), math.MaxInt32))
}

// Login exchanges a username and password for a token pair.
func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	p, err := s.auth.Login(ctx, req.Body.Username, req.Body.Password, requestFrom(ctx).remoteIP)
	if err != nil {
		return nil, err
	}
	return api.Login200JSONResponse(tokenPair(p, s.clock.Now())), nil
}

// RefreshToken spends a refresh token for a new pair.
func (s *Server) RefreshToken(ctx context.Context, req api.RefreshTokenRequestObject) (api.RefreshTokenResponseObject, error) {
	p, err := s.auth.Refresh(ctx, req.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return api.RefreshToken200JSONResponse(tokenPair(p, s.clock.Now())), nil
}

// Logout revokes the session of a refresh token.
func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	if err := s.auth.Logout(ctx, req.Body.RefreshToken); err != nil {
		return nil, err
	}
	return api.Logout204Response{}, nil
}

// IssueOAuthToken is the client-credentials grant (RFC 6749 §4.4): the
// client authenticates with HTTP Basic or form fields; errors follow
// §5.2 rather than problem+json, as OAuth clients expect.
func (s *Server) IssueOAuthToken(ctx context.Context, req api.IssueOAuthTokenRequestObject) (api.IssueOAuthTokenResponseObject, error) {
	ri := requestFrom(ctx)
	oauthErr := func(code api.OAuthErrorError, desc string) api.IssueOAuthTokenResponseObject {
		return api.IssueOAuthToken400JSONResponse{Error: code, ErrorDescription: &desc}
	}
	body := req.Body
	if body == nil || body.GrantType == "" {
		return oauthErr(api.InvalidRequest, "grant_type is required"), nil
	}
	if body.GrantType != "client_credentials" {
		return oauthErr(api.UnsupportedGrantType, "only client_credentials is supported"), nil
	}
	id, secret, basic := basicAuth(ri.header.Get("Authorization"))
	formID, formSecret := deref(body.ClientId), deref(body.ClientSecret)
	switch {
	case basic && (formID != "" || formSecret != ""):
		return oauthErr(api.InvalidRequest, "send the client credentials either with HTTP Basic or in the form, not both"), nil
	case !basic:
		id, secret = formID, formSecret
	}
	if id == "" || secret == "" {
		return oauthErr(api.InvalidRequest, "client_id and client_secret are required"), nil
	}
	token, exp, scopes, err := s.auth.ClientCredentials(ctx, id, secret, deref(body.Scope), ri.remoteIP)
	var oe *auth.OAuthError
	if errors.As(err, &oe) {
		desc := oe.Description
		if oe.Code == "invalid_client" {
			challenge := `Basic realm="agentdesk"`
			return api.IssueOAuthToken401JSONResponse{
				Body:    api.OAuthError{Error: api.InvalidClient, ErrorDescription: &desc},
				Headers: api.IssueOAuthToken401ResponseHeaders{WWWAuthenticate: &challenge},
			}, nil
		}
		return oauthErr(api.OAuthErrorError(oe.Code), desc), nil
	}
	if err != nil {
		return nil, err
	}
	return api.IssueOAuthToken200JSONResponse{
		AccessToken: token, TokenType: "Bearer", ExpiresIn: seconds(exp.Sub(s.clock.Now())), Scope: joinScopes(scopes),
	}, nil
}

// GetMe returns the calling agent.
func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.auth.Me(ctx, v)
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse{
		Id: a.ID, Username: a.Username, DisplayName: a.DisplayName, Role: api.Role(a.Role),
		TeamId: a.TeamID, TimeZone: a.TimeZone, Locale: api.Locale(a.Locale),
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func joinScopes(s []string) string { return strings.Join(s, " ") }

// basicAuth parses HTTP Basic credentials; RFC 6749 §2.3.1 has clients
// form-urlencode the id and secret before encoding them.
func basicAuth(h string) (id, secret string, ok bool) {
	scheme, enc, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if du, err := url.QueryUnescape(u); err == nil {
		u = du
	}
	if dp, err := url.QueryUnescape(p); err == nil {
		p = dp
	}
	return u, p, true
}
