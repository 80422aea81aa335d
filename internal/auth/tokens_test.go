package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/clock"
)

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testTokens(t testing.TB, clk clock.Clock, key crypto.Signer, prev ...crypto.Signer) *Tokens {
	t.Helper()
	tk, err := NewTokens(key, clk, TokenOptions{Previous: prev})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	tk := testTokens(t, clk, newKey(t))
	team := uuid.New()
	for _, v := range []*Viewer{
		{Kind: KindAgent, AgentID: uuid.New(), Role: RoleTeamLead, TeamID: &team, Locale: "zh-CN", TimeZone: "Asia/Shanghai"},
		{Kind: KindAgent, AgentID: uuid.New(), Role: RoleAdmin},
		{Kind: KindIntegrator, ClientPK: uuid.New(), ClientID: "pas", Scopes: []string{"customers:read", "policies:write"}},
	} {
		s, exp, err := tk.Issue(v)
		if err != nil {
			t.Fatal(err)
		}
		if !exp.Equal(clk.Now().Add(DefaultAccessTTL)) {
			t.Errorf("expiry %v, want now+15m", exp)
		}
		got, err := tk.Verify(s)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		want := *v
		want.TokenID = got.TokenID
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("viewer mismatch (-want +got):\n%s", diff)
		}
	}
}

// TestTokenAttacks: every forged, stale or foreign token is refused.
func TestTokenAttacks(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	key := newKey(t)
	tk := testTokens(t, clk, key)
	agent := &Viewer{Kind: KindAgent, AgentID: uuid.New(), Role: RoleAgent}
	good, _, err := tk.Issue(agent)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := KeyID(key.Public())
	pubBytes := []byte(key.Public().(ed25519.PublicKey))
	claims := func(mut func(*Claims)) Claims {
		c := Claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: DefaultIssuer, Audience: jwt.ClaimStrings{DefaultAudience}, Subject: agent.AgentID.String(),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: "x",
		}, Kind: KindAgent, Role: RoleAdmin}
		if mut != nil {
			mut(&c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, k any, c Claims, kid string) string {
		tok := jwt.NewWithClaims(m, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"role":"agent"`, `"role":"admin"`, 1))) + "." + parts[2]
	other := newKey(t)
	otherKID, _ := KeyID(other.Public())

	tests := []struct {
		name  string
		token string
		at    time.Time
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil), kid), now},
		{"HS256 with the public key as secret", sign(jwt.SigningMethodHS256, pubBytes, claims(nil), kid), now},
		{"tampered payload", tampered, now},
		{"expired", good, now.Add(DefaultAccessTTL + Leeway + time.Second)},
		{"not yet valid", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour)) }), kid), now},
		{"issued in the future", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) }), kid), now},
		{"wrong audience", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.Audience = jwt.ClaimStrings{"other-api"} }), kid), now},
		{"wrong issuer", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.Issuer = "evil" }), kid), now},
		{"no expiry", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.ExpiresAt = nil }), kid), now},
		{"unknown kid", sign(jwt.SigningMethodEdDSA, other, claims(nil), otherKID), now},
		{"no kid", sign(jwt.SigningMethodEdDSA, key, claims(nil), ""), now},
		{"right kid, other key", sign(jwt.SigningMethodEdDSA, other, claims(nil), kid), now},
		{"bad role", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.Role = "root" }), kid), now},
		{"bad kind", sign(jwt.SigningMethodEdDSA, key, claims(func(c *Claims) { c.Kind = KindSystem }), kid), now},
		{"garbage", "not.a.token", now},
		{"empty", "", now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.at)
			if v, err := tk.Verify(tt.token); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify accepted (%+v, %v)", v, err)
			}
		})
	}
	clk.Set(now.Add(DefaultAccessTTL + Leeway - time.Second))
	if _, err := tk.Verify(good); err != nil {
		t.Fatalf("a token within the leeway was refused: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	oldKey, newK := newKey(t), newKey(t)
	before := testTokens(t, clk, oldKey)
	oldToken, _, _ := before.Issue(&Viewer{Kind: KindAgent, AgentID: uuid.New(), Role: RoleAgent})
	after := testTokens(t, clk, newK, oldKey)
	if _, err := after.Verify(oldToken); err != nil {
		t.Fatalf("token of the previous key refused after rotation: %v", err)
	}
	newToken, _, _ := after.Issue(&Viewer{Kind: KindAgent, AgentID: uuid.New(), Role: RoleAgent})
	if _, err := before.Verify(newToken); err == nil {
		t.Fatal("a server without the new key accepted its token")
	}
	retired := testTokens(t, clk, newK)
	if _, err := retired.Verify(oldToken); err == nil {
		t.Fatal("token of a retired key accepted")
	}
}

func FuzzVerify(f *testing.F) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	tk := testTokens(f, clk, newKey(f))
	good, _, _ := tk.Issue(&Viewer{Kind: KindAgent, AgentID: uuid.New(), Role: RoleAgent})
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := tk.Verify(s)
		if err == nil && s != good {
			// Only tokens we signed can pass; a mutation that still
			// verifies would be a forgery.
			t.Fatalf("forged token accepted: %q → %+v", s, v)
		}
	})
}
