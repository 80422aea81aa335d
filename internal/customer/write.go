package customer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/claimevent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/npsanswer"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/webhooksnapshot"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/pii"
)

// ErasedName replaces the name of an erased customer.
const ErasedName = "（已删除）"

// Create adds a customer to the book. The agent defaults to the calling
// agent; only a team lead (within the team) or an admin names another.
// A client-made id that exists already is a conflict.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Customer, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true, s.clock.Now()); err != nil {
		return nil, err
	}
	if in.AgentID == nil && v.Kind == auth.KindAgent {
		in.AgentID = &v.AgentID
	}
	if in.AgentID != nil && *in.AgentID != v.AgentID && v.Kind == auth.KindAgent && v.Role == auth.RoleAgent {
		return nil, apperr.Forbidden("only a team lead or an admin assigns a customer to another agent")
	}
	var out *ent.Customer
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		c := tx.Customer.Create().SetName(strings.TrimSpace(*in.Name)).SetCreatedAt(s.clock.Now()).SetUpdatedAt(s.clock.Now())
		if in.ID != nil {
			c.SetID(*in.ID)
		}
		if err := s.apply(c.Mutation(), in); err != nil {
			return err
		}
		var err error
		out, err = c.Save(ctx)
		return err
	})
	switch {
	case ent.IsConstraintError(err):
		return nil, apperr.Conflict("a customer with this id or external id exists")
	case isDenied(err):
		return nil, apperr.Wrap(apperr.KindForbidden, "cannot assign a customer to that agent", err)
	case err != nil:
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return out, nil
}

// Update changes the given fields of a customer in the caller's scope;
// ifMatch, when given, must be its current version.
func (s *Service) Update(ctx context.Context, id uuid.UUID, ifMatch *int64, in Input) (*ent.Customer, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(false, s.clock.Now()); err != nil {
		return nil, err
	}
	var out *ent.Customer
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.Customer.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("no such customer")
		}
		if err != nil {
			return err
		}
		if cur.ErasedAt != nil {
			return apperr.Conflict("the customer was erased")
		}
		if ifMatch != nil && *ifMatch != cur.Version {
			return apperr.PreconditionFailed(fmt.Sprintf("the customer is at version %d, not %d", cur.Version, *ifMatch))
		}
		if in.AgentID != nil && (cur.AgentID == nil || *in.AgentID != *cur.AgentID) &&
			v.Kind == auth.KindAgent && v.Role == auth.RoleAgent {
			return apperr.Forbidden("only a team lead or an admin reassigns a customer")
		}
		u := tx.Customer.UpdateOneID(id).Where(customer.Version(cur.Version)).SetUpdatedAt(s.clock.Now())
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
		}
		if err := s.apply(u.Mutation(), in); err != nil {
			return err
		}
		out, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return apperr.PreconditionFailed("the customer changed meanwhile; reload and retry")
		}
		return err
	})
	switch {
	case err == nil:
		return out, nil
	case apperr.KindOf(err) != apperr.KindInternal:
		return nil, err
	case ent.IsConstraintError(err):
		return nil, apperr.Conflict("another customer has this external id")
	case isDenied(err):
		return nil, apperr.Forbidden("cannot assign the customer to that agent")
	}
	return nil, fmt.Errorf("update customer: %w", err)
}

// apply sets the optional fields of in on a create or update mutation,
// encrypting personal data.
func (s *Service) apply(m *ent.CustomerMutation, in Input) error {
	if in.AgentID != nil {
		m.SetAgentID(*in.AgentID)
	}
	if in.ExternalID != nil {
		m.SetExternalID(*in.ExternalID)
	}
	if in.Phone != nil {
		phone := pii.NormalizePhone(*in.Phone)
		enc, err := s.pii.Encrypt(FieldPhone, phone)
		if err != nil {
			return err
		}
		m.SetPhoneEnc(enc)
		m.SetPhoneHash(s.pii.Hash(FieldPhone, phone))
	}
	if in.IDNumber != nil {
		idn := strings.ToUpper(strings.TrimSpace(*in.IDNumber))
		enc, err := s.pii.Encrypt(FieldIDNumber, idn)
		if err != nil {
			return err
		}
		m.SetIDNumberEnc(enc)
		m.SetIDNumberHash(s.pii.Hash(FieldIDNumber, idn))
	}
	if in.HealthNotes != nil {
		enc, err := s.pii.Encrypt(FieldHealthNotes, *in.HealthNotes)
		if err != nil {
			return err
		}
		m.SetHealthNotesEnc(enc)
	}
	if in.BirthDate != nil {
		d := in.BirthDate.UTC().Truncate(24 * 60 * 60 * 1e9)
		m.SetBirthDate(d)
	}
	if in.Gender != nil {
		m.SetGender(customer.Gender(*in.Gender))
	}
	if in.Occupation != nil {
		m.SetOccupation(strings.TrimSpace(*in.Occupation))
	}
	if in.IncomeBand != nil {
		m.SetIncomeBand(customer.IncomeBand(*in.IncomeBand))
	}
	if in.RiskPreference != nil {
		m.SetRiskPreference(customer.RiskPreference(*in.RiskPreference))
	}
	if in.PreferredChannel != nil {
		m.SetPreferredChannel(customer.PreferredChannel(*in.PreferredChannel))
	}
	if in.LifeStage != nil {
		m.SetLifeStage(customer.LifeStage(*in.LifeStage))
	}
	if in.Family != nil {
		m.SetFamily(*in.Family)
	}
	if in.Consent != nil {
		c := *in.Consent
		now := s.clock.Now()
		c.UpdatedAt = &now
		m.SetConsent(c)
	}
	if in.Tags != nil {
		tags := make([]string, 0, len(*in.Tags))
		for _, t := range *in.Tags {
			tags = append(tags, strings.TrimSpace(t))
		}
		m.SetTags(tags)
	}
	return nil
}

// Delete removes a customer with everything under it; the removals
// travel to phones as tombstones. Agents delete only customers without
// policies (prospects); policies belong to the insurer's systems.
func (s *Service) Delete(ctx context.Context, id uuid.UUID, ifMatch *int64) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.Customer.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("no such customer")
		}
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != cur.Version {
			return apperr.PreconditionFailed(fmt.Sprintf("the customer is at version %d, not %d", cur.Version, *ifMatch))
		}
		// The caller may see the customer: from here the server removes
		// the dependants, some of which callers never write themselves.
		sys := auth.SystemContext(ctx)
		n, err := tx.InsurancePolicy.Query().Where(insurancepolicy.CustomerID(id)).Count(sys)
		if err != nil {
			return err
		}
		if n > 0 && !v.IsAdmin() {
			return apperr.Conflict("the customer holds policies; only an admin deletes such a customer")
		}
		steps := []func() error{
			func() error {
				_, err := tx.PlanStep.Delete().Where(planstep.HasPlanWith(serviceplan.CustomerID(id))).Exec(sys)
				return err
			},
			func() error {
				_, err := tx.ServicePlan.Delete().Where(serviceplan.CustomerID(id)).Exec(sys)
				return err
			},
			func() error { _, err := tx.Portrait.Delete().Where(portrait.CustomerID(id)).Exec(sys); return err },
			func() error { _, err := tx.Task.Delete().Where(task.CustomerID(id)).Exec(sys); return err },
			func() error {
				_, err := tx.Interaction.Delete().Where(interaction.CustomerID(id)).Exec(sys)
				return err
			},
			func() error { _, err := tx.Complaint.Delete().Where(complaint.CustomerID(id)).Exec(sys); return err },
			func() error { _, err := tx.Claim.Delete().Where(claim.CustomerID(id)).Exec(sys); return err },
			func() error { _, err := tx.NpsAnswer.Delete().Where(npsanswer.CustomerID(id)).Exec(sys); return err },
			func() error {
				_, err := tx.InsurancePolicy.Delete().Where(insurancepolicy.CustomerID(id)).Exec(sys)
				return err
			},
			func() error {
				_, err := tx.Notification.Delete().Where(notification.CustomerID(id)).Exec(sys)
				return err
			},
			func() error { _, err := tx.Device.Delete().Where(device.CustomerID(id)).Exec(sys); return err },
			func() error {
				_, err := tx.Reminder.Delete().Where(reminder.CustomerID(id), reminder.StatusIn(reminder.StatusPending)).Exec(sys)
				return err
			},
			func() error { return tx.Customer.DeleteOneID(id).Exec(sys) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("delete customer: %w", err)
			}
		}
		return s.audit.RecordTx(ctx, tx, audit.Entry{Action: "customer.delete", SubjectType: "customer", SubjectID: id.String(),
			Reason: "DELETE /v1/customers/{id}"})
	})
}

// Erase removes a customer's personal data everywhere (PIPL): identity
// and free text on the customer and on everything under it. The records
// stay, for the statistics, and every change syncs to the phones that
// hold them. Admins only.
func (s *Service) Erase(ctx context.Context, id uuid.UUID, ifMatch *int64) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	// Out of scope is not found, whoever asks: no existence leak.
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	if !v.IsAdmin() {
		return apperr.Forbidden("only an admin erases a customer")
	}
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.Customer.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("no such customer")
		}
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != cur.Version {
			return apperr.PreconditionFailed(fmt.Sprintf("the customer is at version %d, not %d", cur.Version, *ifMatch))
		}
		sys := auth.SystemContext(ctx)
		err = tx.Customer.UpdateOneID(id).SetName(ErasedName).ClearPhoneEnc().ClearPhoneHash().ClearIDNumberEnc().
			ClearIDNumberHash().ClearHealthNotesEnc().ClearBirthDate().ClearExternalID().SetOccupation("").
			SetFamily(domain.Family{}).SetTags([]string{}).SetConsent(domain.Consent{UpdatedAt: &now}).
			SetErasedAt(now).SetUpdatedAt(now).Exec(sys)
		if err != nil {
			return err
		}
		const gone = "（已删除）"
		if _, err := tx.Interaction.Update().Where(interaction.CustomerID(id)).
			SetContent(gone).SetResult("").SetFeedback("").SetUpdatedAt(now).Save(sys); err != nil {
			return err
		}
		if _, err := tx.Complaint.Update().Where(complaint.CustomerID(id)).
			SetSummary(gone).SetDetails("").SetResolution("").SetUpdatedAt(now).Save(sys); err != nil {
			return err
		}
		if _, err := tx.Claim.Update().Where(claim.CustomerID(id)).SetDescription("").SetUpdatedAt(now).Save(sys); err != nil {
			return err
		}
		if _, err := tx.ClaimEvent.Update().Where(claimevent.CustomerID(id)).ClearNote().Save(sys); err != nil {
			return err
		}
		if _, err := tx.InsurancePolicy.Update().Where(insurancepolicy.CustomerID(id)).
			SetInsuredName(gone).SetHolderName(gone).SetUpdatedAt(now).Save(sys); err != nil {
			return err
		}
		if _, err := tx.NpsAnswer.Update().Where(npsanswer.CustomerID(id)).SetComment("").Save(sys); err != nil {
			return err
		}
		if _, err := tx.Portrait.Delete().Where(portrait.CustomerID(id)).Exec(sys); err != nil {
			return err
		}
		if _, err := tx.Device.Delete().Where(device.CustomerID(id)).Exec(sys); err != nil {
			return err
		}
		if err := dropEventData(sys, tx, id); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, audit.Entry{Action: "customer.erase", SubjectType: "customer", SubjectID: id.String(),
			Fields: []string{"name", FieldPhone, FieldIDNumber, FieldHealthNotes, "birth_date", "family", "tags"},
			Reason: "DELETE /v1/customers/{id}?erase=true"})
	})
}

// dropEventData deletes the webhook event data captured of the customer's
// and its records' earlier versions, not yet dispatched (package webhook):
// the erased versions' data is captured anew when the erasure commits.
func dropEventData(ctx context.Context, tx *ent.Tx, id uuid.UUID) error {
	ids := []uuid.UUID{id}
	for _, q := range []func() ([]uuid.UUID, error){
		func() ([]uuid.UUID, error) { return tx.Interaction.Query().Where(interaction.CustomerID(id)).IDs(ctx) },
		func() ([]uuid.UUID, error) { return tx.Complaint.Query().Where(complaint.CustomerID(id)).IDs(ctx) },
		func() ([]uuid.UUID, error) { return tx.Claim.Query().Where(claim.CustomerID(id)).IDs(ctx) },
		func() ([]uuid.UUID, error) {
			return tx.InsurancePolicy.Query().Where(insurancepolicy.CustomerID(id)).IDs(ctx)
		},
		func() ([]uuid.UUID, error) { return tx.Task.Query().Where(task.CustomerID(id)).IDs(ctx) },
	} {
		more, err := q()
		if err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	for part := range slices.Chunk(ids, 500) {
		if _, err := tx.WebhookSnapshot.Delete().Where(webhooksnapshot.RecordIDIn(part...)).Exec(ctx); err != nil {
			return fmt.Errorf("drop event data: %w", err)
		}
	}
	return nil
}

func isDenied(err error) bool {
	return err != nil && strings.Contains(err.Error(), "ent/privacy") || err != nil && strings.Contains(err.Error(), "access:")
}
