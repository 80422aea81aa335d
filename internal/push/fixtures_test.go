package push

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
)

// fx writes test fixtures through the store's write path.
type fx struct {
	t   testing.TB
	db  *store.DB
	ctx context.Context
	n   atomic.Int64
}

func newFx(t testing.TB, db *store.DB) *fx {
	return &fx{t: t, db: db, ctx: auth.SystemContext(context.Background())}
}

func (f *fx) seq() int64 { return f.n.Add(1) }

func (f *fx) tx(fn func(ctx context.Context, tx *ent.Tx) error) {
	f.t.Helper()
	if err := f.db.WithTx(f.ctx, fn); err != nil {
		f.t.Fatalf("fixture: %v", err)
	}
}

func (f *fx) agent(tz, locale string) *ent.Agent {
	f.t.Helper()
	var a *ent.Agent
	f.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		a, err = tx.Agent.Create().SetUsername(fmt.Sprintf("agent%d", f.seq())).SetPasswordHash("x").
			SetTimeZone(tz).SetLocale(locale).Save(ctx)
		return err
	})
	return a
}

func (f *fx) customer(agentID *uuid.UUID, name string, push bool) *ent.Customer {
	f.t.Helper()
	var c *ent.Customer
	f.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		c, err = tx.Customer.Create().SetNillableAgentID(agentID).SetName(name).
			SetConsent(domain.Consent{Push: push}).Save(ctx)
		return err
	})
	return c
}

func (f *fx) policy(customerID uuid.UUID, premium, renewal *time.Time) *ent.InsurancePolicy {
	f.t.Helper()
	var p *ent.InsurancePolicy
	f.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		p, err = tx.InsurancePolicy.Create().SetCustomerID(customerID).
			SetNumber(fmt.Sprintf("P2026%06d", f.seq())).SetLine(insurancepolicy.LineLife).
			SetPremiumCents(100000).SetStartDate(day(2025, 1, 1)).
			SetNillableNextPremiumDueDate(premium).SetNillableRenewalDate(renewal).Save(ctx)
		return err
	})
	return p
}

func (f *fx) agentDevice(agentID uuid.UUID, token, tz, locale string) *ent.Device {
	f.t.Helper()
	var d *ent.Device
	f.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		d, err = tx.Device.Create().SetAgentID(agentID).SetToken(token).SetPlatform(device.PlatformAndroid).
			SetTimeZone(tz).SetLocale(locale).Save(ctx)
		return err
	})
	return d
}

func (f *fx) customerDevice(customerID uuid.UUID, token, tz string) *ent.Device {
	f.t.Helper()
	var d *ent.Device
	f.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		d, err = tx.Device.Create().SetCustomerID(customerID).SetToken(token).SetPlatform(device.PlatformIos).
			SetTimeZone(tz).SetLocale("zh-CN").Save(ctx)
		return err
	})
	return d
}

// setPolicy changes a policy through the store's write path.
func (f *fx) setPolicy(id uuid.UUID, fn func(u *ent.InsurancePolicyUpdateOne)) {
	f.t.Helper()
	f.tx(func(ctx context.Context, tx *ent.Tx) error {
		u := tx.InsurancePolicy.UpdateOneID(id)
		fn(u)
		return u.Exec(ctx)
	})
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ptr[T any](v T) *T { return &v }

// lockedRand is a seeded jitter source safe for concurrent use.
type lockedRand struct {
	mu sync.Mutex
	x  uint64
}

func (r *lockedRand) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	// xorshift64*: deterministic and good enough for jitter.
	r.x ^= r.x >> 12
	r.x ^= r.x << 25
	r.x ^= r.x >> 27
	return float64((r.x*2685821657736338717)>>11) / (1 << 53)
}

// testDeps are Deps on a fresh registry.
func testDeps(db *store.DB, c clock.Clock, s Sender) Deps {
	r := &lockedRand{x: 42}
	return Deps{DB: db, Clock: c, Registerer: prometheus.NewRegistry(), Sender: s, Rand: r.Float64}
}
