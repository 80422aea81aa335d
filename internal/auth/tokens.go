package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/clock"
)

// Token defaults.
const (
	DefaultIssuer    = "agentdesk"
	DefaultAudience  = "agentdesk-api"
	DefaultAccessTTL = 15 * time.Minute
	// Leeway tolerates small clock differences between replicas.
	Leeway = 30 * time.Second
)

// Claims are the claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	Kind   Kind   `json:"knd"`
	Role   Role   `json:"role,omitempty"`
	Team   string `json:"team,omitempty"`
	Scope  string `json:"scope,omitempty"` // integrators: space-separated
	Client string `json:"cid,omitempty"`   // integrators: client_id
	Locale string `json:"loc,omitempty"`
	TZ     string `json:"tz,omitempty"`
}

// Tokens issues and verifies access tokens: JWTs signed with one key
// (EdDSA or ES256), verified with any key of the set by its kid, with the
// algorithm pinned per key.
type Tokens struct {
	clock    clock.Clock
	issuer   string
	audience string
	ttl      time.Duration
	signKID  string
	signer   crypto.Signer
	method   jwt.SigningMethod
	verify   map[string]verifyKey
}

type verifyKey struct {
	method jwt.SigningMethod
	key    crypto.PublicKey
}

// TokenOptions tune NewTokens.
type TokenOptions struct {
	Issuer, Audience string
	AccessTTL        time.Duration
	// Previous are earlier signing keys still accepted for verification
	// (key rotation): tokens they signed stay valid until they expire.
	Previous []crypto.Signer
}

// NewTokens returns a Tokens that signs with signer.
func NewTokens(signer crypto.Signer, clk clock.Clock, opts TokenOptions) (*Tokens, error) {
	if opts.Issuer == "" {
		opts.Issuer = DefaultIssuer
	}
	if opts.Audience == "" {
		opts.Audience = DefaultAudience
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = DefaultAccessTTL
	}
	t := &Tokens{clock: clk, issuer: opts.Issuer, audience: opts.Audience, ttl: opts.AccessTTL, signer: signer,
		verify: map[string]verifyKey{}}
	for i, s := range append([]crypto.Signer{signer}, opts.Previous...) {
		m, err := methodFor(s)
		if err != nil {
			return nil, err
		}
		kid, err := KeyID(s.Public())
		if err != nil {
			return nil, err
		}
		t.verify[kid] = verifyKey{method: m, key: s.Public()}
		if i == 0 {
			t.signKID, t.method = kid, m
		}
	}
	return t, nil
}

func methodFor(s crypto.Signer) (jwt.SigningMethod, error) {
	switch k := s.(type) {
	case ed25519.PrivateKey:
		return jwt.SigningMethodEdDSA, nil
	case *ecdsa.PrivateKey:
		if k.Curve.Params().Name == "P-256" {
			return jwt.SigningMethodES256, nil
		}
	}
	return nil, fmt.Errorf("auth: unsupported signing key %T", s)
}

// KeyID is a key's id: the base64url SHA-256 of its public key (first 16
// bytes), so every replica derives the same kid from the same key.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:16]), nil
}

// TTL is the lifetime of access tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs an access token for v.
func (t *Tokens) Issue(v *Viewer) (token string, expires time.Time, err error) {
	now := t.clock.Now()
	expires = now.Add(t.ttl)
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expires),
			ID:        uuid.NewString(),
		},
		Kind: v.Kind, Locale: v.Locale, TZ: v.TimeZone,
	}
	switch v.Kind {
	case KindAgent:
		c.Subject = v.AgentID.String()
		c.Role = v.Role
		if v.TeamID != nil {
			c.Team = v.TeamID.String()
		}
	case KindIntegrator:
		c.Subject = v.ClientPK.String()
		c.Client = v.ClientID
		c.Scope = strings.Join(v.Scopes, " ")
	default:
		return "", time.Time{}, fmt.Errorf("auth: cannot issue a token for a %s viewer", v.Kind)
	}
	tok := jwt.NewWithClaims(t.method, c)
	tok.Header["kid"] = t.signKID
	s, err := tok.SignedString(t.signer)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return s, expires, nil
}

// ErrInvalidToken is every verification failure; the reason is wrapped
// for logs, never shown to clients.
var ErrInvalidToken = errors.New("auth: invalid access token")

// Verify checks an access token and returns the viewer it names. It
// accepts only the algorithm of the key its kid names (so neither "none"
// nor an HMAC token made with a public key passes), and checks exp, nbf
// and iat with a small leeway, the issuer and the audience.
func (t *Tokens) Verify(token string) (*Viewer, error) {
	var c Claims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg(), jwt.SigningMethodES256.Alg()}),
		jwt.WithLeeway(Leeway),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.clock.Now),
		jwt.WithStrictDecoding(),
	)
	_, err := parser.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := t.verify[kid]
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		if tok.Method.Alg() != k.method.Alg() {
			return nil, fmt.Errorf("algorithm %s does not match key %s", tok.Method.Alg(), kid)
		}
		return k.key, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	v := &Viewer{Kind: c.Kind, Locale: c.Locale, TimeZone: c.TZ, TokenID: c.ID}
	switch c.Kind {
	case KindAgent:
		id, err := uuid.Parse(c.Subject)
		if err != nil {
			return nil, fmt.Errorf("%w: bad subject", ErrInvalidToken)
		}
		switch c.Role {
		case RoleAgent, RoleTeamLead, RoleAdmin:
		default:
			return nil, fmt.Errorf("%w: bad role", ErrInvalidToken)
		}
		v.AgentID, v.Role = id, c.Role
		if c.Team != "" {
			team, err := uuid.Parse(c.Team)
			if err != nil {
				return nil, fmt.Errorf("%w: bad team", ErrInvalidToken)
			}
			v.TeamID = &team
		}
	case KindIntegrator:
		id, err := uuid.Parse(c.Subject)
		if err != nil || c.Client == "" {
			return nil, fmt.Errorf("%w: bad integrator subject", ErrInvalidToken)
		}
		v.ClientPK, v.ClientID, v.Scopes = id, c.Client, strings.Fields(c.Scope)
	default:
		return nil, fmt.Errorf("%w: bad kind", ErrInvalidToken)
	}
	return v, nil
}
