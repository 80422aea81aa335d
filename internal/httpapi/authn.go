package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// Security scheme names of openapi.yaml.
const (
	schemeBearer     = "bearerAuth"
	schemeIntegrator = "integratorOAuth"
)

// Authenticator enforces each operation's security requirements from the
// spec: public operations pass; others need a valid bearer token whose
// viewer is allowed by one of the operation's alternatives (agents by
// bearerAuth, integrators by integratorOAuth with every scope it lists).
// The viewer goes on the request context. A missing or bad token is 401,
// a valid token of the wrong kind or without the scope 403.
func Authenticator(spec *openapi3.T, svc *auth.Service) (echo.MiddlewareFunc, error) {
	sr, err := newSpecRouter(spec)
	if err != nil {
		return nil, err
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			route, _, err := sr.find(req, c.Path(), c.ParamValues())
			if err != nil {
				return next(c)
			}
			reqs := spec.Security
			if route.Operation.Security != nil {
				reqs = *route.Operation.Security
			}
			if len(reqs) == 0 {
				return next(c)
			}
			token, ok := bearerToken(req)
			if !ok {
				return apperr.Unauthenticated("this operation needs an access token: Authorization: Bearer <token>")
			}
			v, err := svc.Authenticate(req.Context(), token)
			if err != nil {
				return err
			}
			if err := permitted(reqs, v); err != nil {
				return err
			}
			c.SetRequest(req.WithContext(auth.WithViewer(req.Context(), v)))
			return next(c)
		}
	}, nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func permitted(reqs openapi3.SecurityRequirements, v *auth.Viewer) error {
	var missing []string
	agentsOK := false
	for _, r := range reqs {
		if _, ok := r[schemeBearer]; ok {
			agentsOK = true
			if v.Kind == auth.KindAgent {
				return nil
			}
		}
		if scopes, ok := r[schemeIntegrator]; ok && v.Kind == auth.KindIntegrator {
			lacking := false
			for _, s := range scopes {
				if !slices.Contains(v.Scopes, s) {
					missing = append(missing, s)
					lacking = true
				}
			}
			if !lacking {
				return nil
			}
		}
	}
	switch {
	case v.Kind == auth.KindIntegrator && len(missing) > 0:
		return apperr.Forbidden("the token lacks the scope " + strings.Join(missing, " or "))
	case v.Kind == auth.KindIntegrator && agentsOK:
		return apperr.Forbidden("this operation is for agents, not integrators")
	}
	return apperr.Forbidden("this operation is not open to this kind of caller")
}

type requestKey struct{}

// withRequest is a strict middleware that makes the HTTP request (its
// headers and client address) available to strict handlers, which see
// only a context.
func withRequest(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(c echo.Context, request any) (any, error) {
		r := c.Request()
		ctx := context.WithValue(r.Context(), requestKey{}, requestInfo{remoteIP: c.RealIP(), header: r.Header})
		c.SetRequest(r.WithContext(ctx))
		return f(c, request)
	}
}

type requestInfo struct {
	remoteIP string
	header   http.Header
}

func requestFrom(ctx context.Context) requestInfo {
	ri, _ := ctx.Value(requestKey{}).(requestInfo)
	if ri.header == nil {
		ri.header = http.Header{}
	}
	return ri
}

// viewerOf returns the authenticated viewer; the Authenticator guarantees
// one on every secured operation.
func viewerOf(ctx context.Context) (*auth.Viewer, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return nil, apperr.Unauthenticated("authentication required")
	}
	return v, nil
}
