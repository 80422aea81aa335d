package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/refreshtoken"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

type fixture struct {
	db    *store.DB
	svc   *auth.Service
	clock *clock.Fake
	agent *ent.Agent
}

const password = "correct horse battery staple"

func newFixture(t *testing.T, db *store.DB, clk *clock.Fake) fixture {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tokens, err := auth.NewTokens(key, clk, auth.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.NewService(db, tokens, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.SystemContext(context.Background())
	var a *ent.Agent
	err = db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if err := tx.IntegratorClient.Create().SetClientID("crm").SetSecretHash(hash).
			SetScopes([]string{"customers:read", "interactions:read"}).Exec(ctx); err != nil {
			return err
		}
		a, err = tx.Agent.Create().SetUsername("agent1").SetPasswordHash(hash).Save(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{db: db, svc: svc, clock: clk, agent: a}
}

func kindOf(err error) apperr.Kind { return apperr.KindOf(err) }

func TestLoginRefreshLogout(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		p, err := f.svc.Login(ctx, "agent1", password, "10.0.0.1")
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		v, err := f.svc.Tokens().Verify(p.AccessToken)
		if err != nil || v.AgentID != f.agent.ID || v.Role != auth.RoleAgent {
			t.Fatalf("access token viewer = %+v, %v", v, err)
		}
		// Rotation: the new refresh token works, the old one is spent.
		p2, err := f.svc.Refresh(ctx, p.RefreshToken)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if p2.RefreshToken == p.RefreshToken {
			t.Fatal("refresh token not rotated")
		}
		// Reuse of the spent token revokes the whole family, including p2's.
		if _, err := f.svc.Refresh(ctx, p.RefreshToken); kindOf(err) != apperr.KindUnauthenticated {
			t.Fatalf("reuse: %v, want unauthenticated", err)
		}
		if _, err := f.svc.Refresh(ctx, p2.RefreshToken); kindOf(err) != apperr.KindUnauthenticated {
			t.Fatalf("after reuse the family's newest token still works: %v", err)
		}
		// A new login is a new family; logout revokes it.
		p3, err := f.svc.Login(ctx, "agent1", password, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(ctx, p3.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(ctx, p3.RefreshToken); kindOf(err) != apperr.KindUnauthenticated {
			t.Fatalf("refresh after logout: %v", err)
		}
		if err := f.svc.Logout(ctx, "rt_unknown"); err != nil {
			t.Fatalf("logout of an unknown token: %v", err)
		}
		// Expiry.
		p4, _ := f.svc.Login(ctx, "agent1", password, "10.0.0.1")
		clk.Advance(auth.DefaultRefreshTTL + time.Second)
		if _, err := f.svc.Refresh(ctx, p4.RefreshToken); kindOf(err) != apperr.KindUnauthenticated {
			t.Fatalf("expired refresh token: %v", err)
		}
		// Stored hashed: no row holds the raw token.
		n, err := db.Client.RefreshToken.Query().Where(refreshtoken.TokenHash(p4.RefreshToken)).Count(auth.SystemContext(ctx))
		if err != nil || n != 0 {
			t.Fatalf("raw refresh token stored: %d, %v", n, err)
		}
	})
}

func TestConcurrentRefreshIsReuse(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		p, err := f.svc.Login(ctx, "agent1", password, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]error, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = f.svc.Refresh(ctx, p.RefreshToken)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range results {
			if err == nil {
				ok++
			}
		}
		if ok > 1 {
			t.Fatalf("%d concurrent refreshes with one token succeeded, want at most 1", ok)
		}
	})
}

func TestDisabledAgent(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		p, err := f.svc.Login(ctx, "agent1", password, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Client.Agent.UpdateOneID(f.agent.ID).SetDisabled(true).Exec(auth.SystemContext(ctx)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(ctx, p.RefreshToken); kindOf(err) != apperr.KindUnauthenticated {
			t.Fatalf("refresh of a disabled agent: %v", err)
		}
		if _, err := f.svc.Login(ctx, "agent1", password, "10.0.0.1"); kindOf(err) != apperr.KindUnauthenticated {
			t.Fatalf("login of a disabled agent: %v", err)
		}
	})
}

func TestLoginThrottleAndNoAccountLeak(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		_, errKnown := f.svc.Login(ctx, "agent1", "wrong", "10.0.0.2")
		_, errUnknown := f.svc.Login(ctx, "nobody", "wrong", "10.0.0.3")
		if errKnown.Error() != errUnknown.Error() {
			t.Fatalf("answers differ for known (%v) and unknown (%v) accounts", errKnown, errUnknown)
		}
		for i := 0; i < 10; i++ {
			_, _ = f.svc.Login(ctx, "agent1", "wrong", "10.0.0.2")
		}
		_, err := f.svc.Login(ctx, "agent1", password, "10.0.0.4")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.KindRateLimited || ae.RetryAfter <= 0 {
			t.Fatalf("login after repeated failures = %v, want rate limited with Retry-After", err)
		}
		clk.Advance(16 * time.Minute)
		if _, err := f.svc.Login(ctx, "agent1", password, "10.0.0.4"); err != nil {
			t.Fatalf("login after the window: %v", err)
		}
		// Per address: many accounts from one address.
		for i := 0; i < 25; i++ {
			_, _ = f.svc.Login(ctx, "user"+string(rune('a'+i)), "wrong", "10.9.9.9")
		}
		if _, err := f.svc.Login(ctx, "agent1", password, "10.9.9.9"); kindOf(err) != apperr.KindRateLimited {
			t.Fatalf("address over its limit: %v", err)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Clock: clk}, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, clk)
		ctx := context.Background()
		tok, _, scopes, err := f.svc.ClientCredentials(ctx, "crm", password, "", "10.0.0.1")
		if err != nil || len(scopes) != 2 {
			t.Fatalf("grant: %v %v", scopes, err)
		}
		v, err := f.svc.Tokens().Verify(tok)
		if err != nil || v.Kind != auth.KindIntegrator || !v.HasScope("customers:read") || v.HasScope("customers:write") {
			t.Fatalf("integrator viewer = %+v, %v", v, err)
		}
		_, _, scopes, err = f.svc.ClientCredentials(ctx, "crm", password, "interactions:read", "10.0.0.1")
		if err != nil || len(scopes) != 1 {
			t.Fatalf("narrowed grant: %v %v", scopes, err)
		}
		tests := []struct{ id, secret, scope, code string }{
			{"crm", "wrong", "", "invalid_client"},
			{"nobody", password, "", "invalid_client"},
			{"crm", password, "customers:write", "invalid_scope"},
		}
		for _, tt := range tests {
			_, _, _, err := f.svc.ClientCredentials(ctx, tt.id, tt.secret, tt.scope, "10.0.0.1")
			var oe *auth.OAuthError
			if !errors.As(err, &oe) || oe.Code != tt.code {
				t.Errorf("ClientCredentials(%s, %s, %q) = %v, want %s", tt.id, tt.secret, tt.scope, err, tt.code)
			}
		}
	})
}
