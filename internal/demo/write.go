package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/calendarday"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/integratorclient"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/product"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/team"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/ent/toolkitrevision"
	"github.com/agentdesk/agentdesk/internal/pii"
)

// chunk is the most rows per bulk insert: well under both databases'
// limits on bound parameters.
const chunk = 500

// bulk inserts rows in chunks: build makes one builder, save inserts a
// chunk of them.
func bulk[T, B any](ctx context.Context, rows []T, build func(T) (B, error), save func(context.Context, []B) error) error {
	for start := 0; start < len(rows); start += chunk {
		end := min(start+chunk, len(rows))
		bs := make([]B, 0, end-start)
		for _, r := range rows[start:end] {
			b, err := build(r)
			if err != nil {
				return err
			}
			bs = append(bs, b)
		}
		if err := save(ctx, bs); err != nil {
			return err
		}
	}
	return nil
}

// writer writes a generated world inside one transaction.
type writer struct {
	tx   *ent.Tx
	w    *world
	pii  *pii.Protector
	hash string
	sum  Summary
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (wr *writer) write(ctx context.Context) error {
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"accounts", wr.accounts},
		{"products", wr.products},
		{"customers", wr.customers},
		{"policies", wr.policies},
		{"toolkit", wr.toolkit},
		{"interactions", wr.interactions},
		{"tasks", wr.tasks},
		{"complaints and claims", wr.cases},
		{"nps answers", wr.nps},
		{"notifications", wr.notifications},
		{"calendar", wr.calendar},
	} {
		if err := step.fn(ctx); err != nil {
			return fmt.Errorf("write %s: %w", step.name, err)
		}
	}
	return nil
}

// accounts writes the teams, agents and integrator client, reusing any
// that exist by name.
func (wr *writer) accounts(ctx context.Context) error {
	tx, w := wr.tx, wr.w
	for _, t := range w.teams {
		existing, err := tx.Team.Query().Where(team.Name(t.name)).Only(ctx)
		switch {
		case err == nil:
			t.id = existing.ID
			continue
		case !ent.IsNotFound(err):
			return err
		}
		if err := tx.Team.Create().SetID(t.id).SetName(t.name).SetCreatedAt(w.goLive()).SetUpdatedAt(w.goLive()).Exec(ctx); err != nil {
			return err
		}
	}
	for _, a := range w.agents {
		existing, err := tx.Agent.Query().Where(agent.Username(a.username)).Only(ctx)
		switch {
		case err == nil:
			a.id = existing.ID
			continue
		case !ent.IsNotFound(err):
			return err
		}
		at := w.goLive().Add(-10 * day)
		c := tx.Agent.Create().SetID(a.id).SetUsername(a.username).SetDisplayName(a.display).SetRole(agent.Role(a.role)).
			SetTimeZone(a.timeZone).SetLocale(a.locale).SetPasswordHash(wr.hash).SetCreatedAt(at).SetUpdatedAt(at)
		if a.team != nil {
			c.SetTeamID(a.team.id)
		}
		if err := c.Exec(ctx); err != nil {
			return err
		}
		wr.sum.Agents++
	}
	exists, err := tx.IntegratorClient.Query().Where(integratorclient.ClientID("demo-integrator")).Exist(ctx)
	if err != nil || exists {
		return err
	}
	return tx.IntegratorClient.Create().SetClientID("demo-integrator").SetName("保单核心系统 (演示)").
		SetSecretHash(wr.hash).SetScopes(integratorScopes).SetCreatedAt(w.goLive()).SetUpdatedAt(w.goLive()).Exec(ctx)
}

func (wr *writer) products(ctx context.Context) error {
	var fresh []*productRow
	for _, p := range wr.w.products {
		existing, err := wr.tx.Product.Query().Where(product.Code(p.code)).Only(ctx)
		switch {
		case err == nil:
			p.id = existing.ID
		case ent.IsNotFound(err):
			fresh = append(fresh, p)
		default:
			return err
		}
	}
	at := wr.w.goLive().Add(-10 * day)
	return bulk(ctx, fresh, func(p *productRow) (*ent.ProductCreate, error) {
		return wr.tx.Product.Create().SetID(p.id).SetCode(p.code).SetName(p.name).SetLine(product.Line(p.line)).
			SetHesitationDays(p.hesitation).SetCreatedAt(at).SetUpdatedAt(at), nil
	}, func(ctx context.Context, b []*ent.ProductCreate) error {
		return wr.tx.Product.CreateBulk(b...).Exec(ctx)
	})
}

// customers writes the customers; personal data only as ciphertext and
// keyed hashes.
func (wr *writer) customers(ctx context.Context) error {
	p := wr.pii
	wr.sum.Customers = len(wr.w.customers)
	return bulk(ctx, wr.w.customers, func(c *customerRow) (*ent.CustomerCreate, error) {
		phone, err := p.Encrypt("phone", c.phone)
		if err != nil {
			return nil, err
		}
		id, err := p.Encrypt("id_number", c.idNumber)
		if err != nil {
			return nil, err
		}
		health, err := p.Encrypt("health_notes", c.healthNotes)
		if err != nil {
			return nil, err
		}
		gender := customer.GenderFemale
		if c.male {
			gender = customer.GenderMale
		}
		b := wr.tx.Customer.Create().SetID(c.id).SetAgentID(c.agent.id).SetNillableExternalID(nonEmpty(c.externalID)).
			SetName(c.name).SetPhoneEnc(phone).SetPhoneHash(p.Hash("phone", pii.NormalizePhone(c.phone))).
			SetIDNumberEnc(id).SetIDNumberHash(p.Hash("id_number", strings.ToUpper(c.idNumber))).
			SetBirthDate(c.birth).SetGender(gender).SetOccupation(c.occupation).
			SetIncomeBand(customer.IncomeBand(c.incomeBand)).SetFamily(c.family).
			SetRiskPreference(customer.RiskPreference(c.risk)).SetPreferredChannel(customer.PreferredChannel(c.channel)).
			SetConsent(c.consent).SetTags(c.tags).SetLifeStage(customer.LifeStage(c.lifeStage)).
			SetCreatedAt(c.createdAt).SetUpdatedAt(c.updatedAt)
		if health != "" {
			b.SetHealthNotesEnc(health)
		}
		return b, nil
	}, func(ctx context.Context, b []*ent.CustomerCreate) error {
		return wr.tx.Customer.CreateBulk(b...).Exec(ctx)
	})
}

func (wr *writer) policies(ctx context.Context) error {
	wr.sum.Policies = len(wr.w.policies)
	return bulk(ctx, wr.w.policies, func(p *policyRow) (*ent.InsurancePolicyCreate, error) {
		return wr.tx.InsurancePolicy.Create().SetID(p.id).SetCustomerID(p.customer.id).
			SetNillableExternalID(nonEmpty(p.externalID)).SetNumber(p.number).
			SetProductCode(p.product.code).SetProductName(p.product.name).SetLine(insurancepolicy.Line(p.product.line)).
			SetInsuredName(p.insured).SetHolderName(p.holder).SetPremiumCents(p.premium).SetSumAssuredCents(p.sum).
			SetCurrency("CNY").SetPaymentFrequency(insurancepolicy.PaymentFrequency(p.freq)).SetStartDate(p.start).
			SetNillableNextPremiumDueDate(p.nextDue).SetNillableRenewalDate(p.renewal).
			SetStatus(insurancepolicy.Status(p.status)).SetMissedPayments(p.missed).
			SetCreatedAt(p.createdAt).SetUpdatedAt(p.updatedAt), nil
	}, func(ctx context.Context, b []*ent.InsurancePolicyCreate) error {
		return wr.tx.InsurancePolicy.CreateBulk(b...).Exec(ctx)
	})
}

// toolkit writes the items and their revisions; an item whose key exists
// already is reused as it is.
func (wr *writer) toolkit(ctx context.Context) error {
	tx, w := wr.tx, wr.w
	keys := make([]string, len(w.toolkit))
	for i, t := range w.toolkit {
		keys[i] = t.key
	}
	existing, err := tx.ToolkitItem.Query().Where(toolkititem.KeyIn(keys...)).All(ctx)
	if err != nil {
		return err
	}
	have := map[string]*ent.ToolkitItem{}
	for _, e := range existing {
		have[e.Key] = e
	}
	var fresh []*toolkitRow
	type rev struct {
		item *toolkitRow
		r    *revisionRow
	}
	var revs []rev
	for _, t := range w.toolkit {
		if e, ok := have[t.key]; ok {
			t.id, t.revision = e.ID, e.Revision
			continue
		}
		fresh = append(fresh, t)
		for _, r := range t.revisions {
			revs = append(revs, rev{t, r})
		}
	}
	wr.sum.ToolkitItems = len(fresh)
	admin := w.byUser["admin"].id
	err = bulk(ctx, fresh, func(t *toolkitRow) (*ent.ToolkitItemCreate, error) {
		return tx.ToolkitItem.Create().SetID(t.id).SetKey(t.key).SetKind(toolkititem.Kind(t.kind)).
			SetScenario(toolkititem.Scenario(t.scenario)).SetTier(toolkititem.Tier(t.tier)).
			SetLocale(toolkititem.Locale(t.locale)).SetTitle(t.title).SetSummary(t.summary).SetTags(t.tags).
			SetStatus(toolkititem.Status(t.status)).SetRevision(t.revision).SetContent(t.content).
			SetNillablePublishedAt(t.publishedAt).SetCreatedAt(t.createdAt).SetUpdatedAt(t.updatedAt), nil
	}, func(ctx context.Context, b []*ent.ToolkitItemCreate) error {
		return tx.ToolkitItem.CreateBulk(b...).Exec(ctx)
	})
	if err != nil {
		return err
	}
	return bulk(ctx, revs, func(x rev) (*ent.ToolkitRevisionCreate, error) {
		updated := x.r.createdAt
		if x.r.publishedAt != nil {
			updated = *x.r.publishedAt
		}
		return tx.ToolkitRevision.Create().SetItemID(x.item.id).SetNumber(x.r.number).
			SetStatus(toolkitrevision.Status(x.r.status)).SetTitle(x.r.title).SetSummary(x.r.summary).
			SetTags(x.r.tags).SetContent(x.r.content).SetAuthorID(admin).SetNillablePublishedAt(x.r.publishedAt).
			SetCreatedAt(x.r.createdAt).SetUpdatedAt(updated), nil
	}, func(ctx context.Context, b []*ent.ToolkitRevisionCreate) error {
		return tx.ToolkitRevision.CreateBulk(b...).Exec(ctx)
	})
}

func itemIDs(items []*toolkitRow) []uuid.UUID {
	ids := make([]uuid.UUID, len(items))
	for i, t := range items {
		ids[i] = t.id
	}
	return ids
}

func (wr *writer) interactions(ctx context.Context) error {
	tx := wr.tx
	wr.sum.Interactions = len(wr.w.interactions)
	err := bulk(ctx, wr.w.interactions, func(in *interactionRow) (*ent.InteractionCreate, error) {
		updated := in.receivedAt
		if in.firstResponseAt != nil {
			updated = *in.firstResponseAt
		}
		return tx.Interaction.Create().SetID(in.id).SetCustomerID(in.customer.id).SetAgentID(in.customer.agent.id).
			SetChannel(interaction.Channel(in.channel)).SetType(interaction.Type(in.typ)).SetContent(in.content).
			SetResult(in.result).SetFeedback(in.feedback).SetReceivedAt(in.receivedAt).
			SetNillableFirstResponseAt(in.firstResponseAt).SetToolkitItemIds(itemIDs(in.items)).
			SetCreatedAt(in.receivedAt).SetUpdatedAt(updated), nil
	}, func(ctx context.Context, b []*ent.InteractionCreate) error {
		return tx.Interaction.CreateBulk(b...).Exec(ctx)
	})
	if err != nil {
		return err
	}
	return bulk(ctx, wr.w.usages, func(u *usageRow) (*ent.ToolkitUsageCreate, error) {
		b := tx.ToolkitUsage.Create().SetItemID(u.item.id).SetRevision(u.item.revision).SetAgentID(u.agent.id).
			SetCustomerID(u.customer.id).SetUsedAt(u.at)
		if u.interaction != uuid.Nil {
			b.SetInteractionID(u.interaction)
		}
		if u.task != uuid.Nil {
			b.SetTaskID(u.task)
		}
		return b, nil
	}, func(ctx context.Context, b []*ent.ToolkitUsageCreate) error {
		return tx.ToolkitUsage.CreateBulk(b...).Exec(ctx)
	})
}

func (wr *writer) tasks(ctx context.Context) error {
	tx := wr.tx
	wr.sum.Tasks = len(wr.w.tasks)
	return bulk(ctx, wr.w.tasks, func(t *taskRow) (*ent.TaskCreate, error) {
		ag := t.customer.agent.id
		return tx.Task.Create().SetID(t.id).SetCustomerID(t.customer.id).SetAgentID(ag).
			SetScenario(task.Scenario(t.scenario)).SetTitle(t.title).SetDescription(t.desc).
			SetPriority(task.Priority(t.priority)).SetStatus(task.Status(t.status)).SetDueAt(t.due).
			SetNillableCompletedAt(t.completed).SetSkipReason(t.skip).SetToolkitItemIds(itemIDs(t.items)).
			SetChecklist(t.checklist).SetCreatedBy(ag).SetCreatedAt(t.createdAt).SetUpdatedAt(t.updatedAt), nil
	}, func(ctx context.Context, b []*ent.TaskCreate) error { return tx.Task.CreateBulk(b...).Exec(ctx) })
}

func policyID(p *policyRow) *uuid.UUID {
	if p == nil {
		return nil
	}
	return &p.id
}

func (wr *writer) cases(ctx context.Context) error {
	tx := wr.tx
	wr.sum.Complaints, wr.sum.Claims = len(wr.w.complaints), len(wr.w.claims)
	err := bulk(ctx, wr.w.complaints, func(c *complaintRow) (*ent.ComplaintCreate, error) {
		return tx.Complaint.Create().SetID(c.id).SetCustomerID(c.customer.id).SetAgentID(c.customer.agent.id).
			SetNillablePolicyID(policyID(c.policy)).SetStatus(complaint.Status(c.status)).
			SetCategory(complaint.Category(c.category)).SetSeverity(complaint.Severity(c.severity)).
			SetSummary(c.summary).SetDetails(c.details).SetReceivedAt(c.received).
			SetNillableAcknowledgedAt(c.acked).SetNillableResolvedAt(c.resolved).SetNillableClosedAt(c.closed).
			SetNillableEscalatedAt(c.escalated).SetRootCause(c.rootCause).SetCorrectiveAction(c.corrective).
			SetResolution(c.resolution).SetAckDueAt(c.ackDue).SetAnswerDueAt(c.answerDue).SetCloseDueAt(c.closeDue).
			SetCreatedAt(c.createdAt).SetUpdatedAt(c.updatedAt), nil
	}, func(ctx context.Context, b []*ent.ComplaintCreate) error {
		return tx.Complaint.CreateBulk(b...).Exec(ctx)
	})
	if err != nil {
		return err
	}
	return bulk(ctx, wr.w.claims, func(c *claimRow) (*ent.ClaimCreate, error) {
		b := tx.Claim.Create().SetID(c.id).SetCustomerID(c.customer.id).SetNillablePolicyID(policyID(c.policy)).
			SetAgentID(c.customer.agent.id).SetStatus(claim.Status(c.status)).SetDescription(c.description).
			SetAmountClaimedCents(c.claimed).SetAmountPaidCents(c.paid).SetFiledAt(c.filed).
			SetNillableAcceptedAt(c.accepted).SetNillableDocumentsCompleteAt(c.docs).SetNillableDecidedAt(c.decided).
			SetNillablePaidAt(c.paidAt).SetNillableClosedAt(c.closed).SetAcceptDueAt(c.acceptDue).
			SetCloseDueAt(c.closeDue).SetCreatedAt(c.createdAt).SetUpdatedAt(c.updatedAt)
		if c.decision != "" {
			b.SetDecision(claim.Decision(c.decision))
		}
		return b, nil
	}, func(ctx context.Context, b []*ent.ClaimCreate) error { return tx.Claim.CreateBulk(b...).Exec(ctx) })
}

func (wr *writer) nps(ctx context.Context) error {
	tx := wr.tx
	return bulk(ctx, wr.w.nps, func(n *npsRow) (*ent.NpsAnswerCreate, error) {
		return tx.NpsAnswer.Create().SetCustomerID(n.customer.id).SetAgentID(n.customer.agent.id).
			SetInteractionID(n.interaction.id).SetScore(n.score).SetComment(n.comment).SetAnsweredAt(n.at).
			SetCreatedAt(n.at).SetUpdatedAt(n.at), nil
	}, func(ctx context.Context, b []*ent.NpsAnswerCreate) error {
		return tx.NpsAnswer.CreateBulk(b...).Exec(ctx)
	})
}

func (wr *writer) notifications(ctx context.Context) error {
	tx := wr.tx
	wr.sum.Notifications = len(wr.w.notes)
	return bulk(ctx, wr.w.notes, func(n *notificationRow) (*ent.NotificationCreate, error) {
		b := tx.Notification.Create().SetAgentID(n.agent.id).SetNillablePolicyID(policyID(n.policy)).
			SetKind(notification.Kind(n.kind)).SetTitle(n.title).SetBody(n.body).SetData(n.data).SetDeepLink(n.link).
			SetNillableReadAt(n.read).SetCreatedAt(n.createdAt).SetUpdatedAt(n.updatedAt)
		if n.customer != nil {
			b.SetCustomerID(n.customer.id)
		}
		return b, nil
	}, func(ctx context.Context, b []*ent.NotificationCreate) error {
		return tx.Notification.CreateBulk(b...).Exec(ctx)
	})
}

// calendar writes the holiday list, keeping dates already there.
func (wr *writer) calendar(ctx context.Context) error {
	tx := wr.tx
	dates := make([]time.Time, 0, len(holidays))
	for _, h := range holidays {
		d, err := time.Parse(time.DateOnly, h.date)
		if err != nil {
			return err
		}
		dates = append(dates, d)
	}
	existing, err := tx.CalendarDay.Query().Where(calendarday.DateIn(dates...)).All(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[e.Date.UTC().Format(time.DateOnly)] = true
	}
	var fresh []holiday
	for _, h := range holidays {
		if !have[h.date] {
			fresh = append(fresh, h)
		}
	}
	at := wr.w.now
	return bulk(ctx, fresh, func(h holiday) (*ent.CalendarDayCreate, error) {
		d, _ := time.Parse(time.DateOnly, h.date)
		return tx.CalendarDay.Create().SetDate(d).SetWorkingDay(h.working).SetNote(h.note).
			SetCreatedAt(at).SetUpdatedAt(at), nil
	}, func(ctx context.Context, b []*ent.CalendarDayCreate) error {
		return tx.CalendarDay.CreateBulk(b...).Exec(ctx)
	})
}
