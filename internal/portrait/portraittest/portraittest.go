// Package portraittest writes the records that portrait, plan and toolkit
// tests start from: agents, customers, policies, interactions, complaints,
// claims, NPS answers and published toolkit items, each through
// store.WithTx as the system.
package portraittest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Seed writes test records into one database.
type Seed struct {
	tb  testing.TB
	db  *store.DB
	ctx context.Context
	n   atomic.Int64
}

// New returns a Seed for db.
func New(tb testing.TB, db *store.DB) *Seed {
	return &Seed{tb: tb, db: db, ctx: auth.SystemContext(context.Background())}
}

// Ctx is the system context the seed writes with.
func (s *Seed) Ctx() context.Context { return s.ctx }

func (s *Seed) next() int64 { return s.n.Add(1) }

func (s *Seed) tx(fn func(ctx context.Context, tx *ent.Tx) error) {
	s.tb.Helper()
	if err := s.db.WithTx(s.ctx, fn); err != nil {
		s.tb.Fatalf("seed: %v", err)
	}
}

// Day returns a stored calendar date.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Agent adds an agent in the time zone tz.
func (s *Seed) Agent(tz string) *ent.Agent {
	s.tb.Helper()
	var a *ent.Agent
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		a, err = tx.Agent.Create().SetUsername(fmt.Sprintf("agent%d", s.next())).SetDisplayName("李明").
			SetTimeZone(tz).SetPasswordHash("x").Save(ctx)
		return err
	})
	return a
}

// Customer adds a customer of agent (nil: unassigned), created at created;
// mod may set more fields.
func (s *Seed) Customer(agent *ent.Agent, created time.Time, mod func(*ent.CustomerCreate)) *ent.Customer {
	s.tb.Helper()
	var c *ent.Customer
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		q := tx.Customer.Create().SetName("王芳").SetCreatedAt(created).SetUpdatedAt(created)
		if agent != nil {
			q.SetAgentID(agent.ID)
		}
		if mod != nil {
			mod(q)
		}
		c, err = q.Save(ctx)
		return err
	})
	return c
}

// Policy adds an active annual life policy of the customer starting on
// start; mod may change it.
func (s *Seed) Policy(c *ent.Customer, start time.Time, mod func(*ent.InsurancePolicyCreate)) *ent.InsurancePolicy {
	s.tb.Helper()
	var p *ent.InsurancePolicy
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		q := tx.InsurancePolicy.Create().SetCustomerID(c.ID).SetNumber(fmt.Sprintf("P%08d", s.next())).
			SetProductName("守护者定期寿险").SetLine(insurancepolicy.LineLife).SetPremiumCents(360000).
			SetSumAssuredCents(100_000_000).SetStartDate(start).
			SetCreatedAt(s.db.Now()).SetUpdatedAt(s.db.Now())
		if mod != nil {
			mod(q)
		}
		p, err = q.Save(ctx)
		return err
	})
	return p
}

// UpdatePolicy changes a policy.
func (s *Seed) UpdatePolicy(p *ent.InsurancePolicy, mod func(*ent.InsurancePolicyUpdateOne)) *ent.InsurancePolicy {
	s.tb.Helper()
	var out *ent.InsurancePolicy
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		q := tx.InsurancePolicy.UpdateOneID(p.ID).SetUpdatedAt(s.db.Now())
		mod(q)
		out, err = q.Save(ctx)
		return err
	})
	return out
}

// Interaction adds a phone consultation received at at.
func (s *Seed) Interaction(c *ent.Customer, at time.Time, content string) *ent.Interaction {
	s.tb.Helper()
	var i *ent.Interaction
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		i, err = tx.Interaction.Create().SetCustomerID(c.ID).SetNillableAgentID(c.AgentID).
			SetChannel(interaction.ChannelPhone).SetType(interaction.TypeConsultation).SetContent(content).
			SetReceivedAt(at).SetCreatedAt(s.db.Now()).SetUpdatedAt(s.db.Now()).Save(ctx)
		return err
	})
	return i
}

// Complaint adds a complaint received at at, with the SLA deadlines of
// the seeds (24 h, 2 and 7 days).
func (s *Seed) Complaint(c *ent.Customer, cat complaint.Category, status complaint.Status, at time.Time) *ent.Complaint {
	s.tb.Helper()
	var cp *ent.Complaint
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		cp, err = tx.Complaint.Create().SetCustomerID(c.ID).SetCategory(cat).SetStatus(status).SetSummary("投诉").
			SetReceivedAt(at).SetAckDueAt(at.Add(24 * time.Hour)).SetAnswerDueAt(at.Add(48 * time.Hour)).
			SetCloseDueAt(at.Add(7 * 24 * time.Hour)).SetCreatedAt(s.db.Now()).SetUpdatedAt(s.db.Now()).Save(ctx)
		return err
	})
	return cp
}

// Claim adds a claim filed at at.
func (s *Seed) Claim(c *ent.Customer, status claim.Status, at time.Time) *ent.Claim {
	s.tb.Helper()
	var cl *ent.Claim
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		cl, err = tx.Claim.Create().SetCustomerID(c.ID).SetStatus(status).SetFiledAt(at).
			SetAcceptDueAt(at.Add(72 * time.Hour)).SetCloseDueAt(at.Add(7 * 24 * time.Hour)).SetCreatedAt(s.db.Now()).SetUpdatedAt(s.db.Now()).Save(ctx)
		return err
	})
	return cl
}

// NPS adds an NPS answer.
func (s *Seed) NPS(c *ent.Customer, score int, at time.Time) *ent.NpsAnswer {
	s.tb.Helper()
	a, err := s.db.Client.NpsAnswer.Create().SetCustomerID(c.ID).SetScore(score).SetAnsweredAt(at).Save(s.ctx)
	if err != nil {
		s.tb.Fatalf("seed NPS: %v", err)
	}
	return a
}

// PublishedItem adds a published script item with the key.
func (s *Seed) PublishedItem(key string, scenario toolkititem.Scenario) *ent.ToolkitItem {
	s.tb.Helper()
	var it *ent.ToolkitItem
	now := s.db.Now()
	s.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
		content := domain.ToolkitContent{Sections: []domain.ScriptSection{{Title: "开场", Lines: []string{"{customer.name}您好"}}}}
		it, err = tx.ToolkitItem.Create().SetID(uuid.Must(uuid.NewV7())).SetKey(key).SetKind(toolkititem.KindScript).
			SetScenario(scenario).SetTitle(key).SetStatus(toolkititem.StatusPublished).SetRevision(1).
			SetContent(content).SetPublishedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		return tx.ToolkitRevision.Create().SetItemID(it.ID).SetNumber(1).SetStatus("published").SetTitle(key).
			SetContent(content).SetPublishedAt(now).Exec(ctx)
	})
	return it
}
