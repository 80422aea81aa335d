package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/ent"
	entcustomer "github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/policyrenewal"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// PolicyInput is a policy as the insurer's policy-admin system sends it.
// The optional fields are left as they are on update when nil.
type PolicyInput struct {
	CustomerExternalID string
	Number             string
	ProductCode        string
	ProductName        string
	Line               string
	InsuredName        *string
	HolderName         *string
	PremiumCents       int64
	SumAssuredCents    *int64
	Currency           *string
	PaymentFrequency   string
	StartDate          time.Time
	NextPremiumDueDate *time.Time
	RenewalDate        *time.Time
	Status             string
}

func (in PolicyInput) validate() error {
	var fe []apperr.FieldError
	text := func(field, v string, max int) {
		if strings.TrimSpace(v) == "" {
			fe = append(fe, apperr.FieldError{Field: field, Code: "required", Message: "is required"})
		} else if utf8.RuneCountInString(v) > max {
			fe = append(fe, apperr.FieldError{Field: field, Code: "maxLength", Message: fmt.Sprintf("must have at most %d characters", max)})
		}
	}
	text("/customer_external_id", in.CustomerExternalID, 128)
	text("/number", in.Number, 64)
	text("/product_code", in.ProductCode, 64)
	text("/product_name", in.ProductName, 200)
	enum := func(field string, err error) {
		if err != nil {
			fe = append(fe, apperr.FieldError{Field: field, Code: "enum", Message: "is not one of the allowed values"})
		}
	}
	enum("/line", insurancepolicy.LineValidator(insurancepolicy.Line(in.Line)))
	enum("/payment_frequency", insurancepolicy.PaymentFrequencyValidator(insurancepolicy.PaymentFrequency(in.PaymentFrequency)))
	enum("/status", insurancepolicy.StatusValidator(insurancepolicy.Status(in.Status)))
	if in.PremiumCents < 0 {
		fe = append(fe, apperr.FieldError{Field: "/premium_cents", Code: "minimum", Message: "must not be negative"})
	}
	if in.SumAssuredCents != nil && *in.SumAssuredCents < 0 {
		fe = append(fe, apperr.FieldError{Field: "/sum_assured_cents", Code: "minimum", Message: "must not be negative"})
	}
	if in.StartDate.IsZero() {
		fe = append(fe, apperr.FieldError{Field: "/start_date", Code: "required", Message: "is required"})
	}
	for _, n := range []struct {
		field string
		v     *string
	}{{"/insured_name", in.InsuredName}, {"/holder_name", in.HolderName}} {
		if n.v != nil && utf8.RuneCountInString(*n.v) > 100 {
			fe = append(fe, apperr.FieldError{Field: n.field, Code: "maxLength", Message: "must have at most 100 characters"})
		}
	}
	if in.Currency != nil && len(*in.Currency) != 3 {
		fe = append(fe, apperr.FieldError{Field: "/currency", Code: "format", Message: "must be an ISO 4217 code"})
	}
	if len(fe) > 0 {
		return apperr.Invalid("the policy is invalid", fe...)
	}
	return nil
}

// UpsertPolicy creates or updates the policy with this external id. The
// policyholder must have been loaded before (400 naming
// customer_external_id otherwise). Sending what is stored already writes
// nothing and answers Unchanged.
func (s *Service) UpsertPolicy(ctx context.Context, externalID string, ifMatch *int64, in PolicyInput) (*ent.InsurancePolicy, Result, error) {
	if err := requireScope(ctx, access.PoliciesWrite); err != nil {
		return nil, "", err
	}
	if err := checkExternalID(externalID); err != nil {
		return nil, "", err
	}
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	// A policies:write client need not read customers: the holder is
	// looked up as the system.
	holder, err := s.reader(ctx).Customer.Query().Where(entcustomer.ExternalID(in.CustomerExternalID)).Only(auth.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return nil, "", apperr.Invalid("no customer has this external id",
			apperr.FieldError{Field: "/customer_external_id", Code: "not_found", Message: "no customer has this external id; load the customer first"})
	}
	if err != nil {
		return nil, "", fmt.Errorf("find policyholder: %w", err)
	}
	var out *ent.InsurancePolicy
	var res Result
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.InsurancePolicy.Query().Where(insurancepolicy.ExternalID(externalID)).Only(ctx)
		now := s.clock.Now()
		if ent.IsNotFound(err) {
			if ifMatch != nil {
				return apperr.PreconditionFailed("no policy has this external id yet")
			}
			c := tx.InsurancePolicy.Create().SetExternalID(externalID).SetCustomerID(holder.ID).
				SetNumber(in.Number).SetProductCode(in.ProductCode).SetProductName(in.ProductName).
				SetLine(insurancepolicy.Line(in.Line)).SetPremiumCents(in.PremiumCents).
				SetPaymentFrequency(insurancepolicy.PaymentFrequency(in.PaymentFrequency)).
				SetStartDate(day(in.StartDate)).SetStatus(insurancepolicy.Status(in.Status)).
				SetCreatedAt(now).SetUpdatedAt(now)
			setOptional(c.Mutation(), in)
			out, err = c.Save(ctx)
			res = Created
			return err
		}
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != cur.Version {
			return apperr.PreconditionFailed(fmt.Sprintf("the policy is at version %d, not %d", cur.Version, *ifMatch))
		}
		if policyEqual(cur, holder.ID.String(), in) {
			out, res = cur, Unchanged
			return nil
		}
		u := tx.InsurancePolicy.UpdateOneID(cur.ID).Where(insurancepolicy.Version(cur.Version)).
			SetCustomerID(holder.ID).SetNumber(in.Number).SetProductCode(in.ProductCode).
			SetProductName(in.ProductName).SetLine(insurancepolicy.Line(in.Line)).SetPremiumCents(in.PremiumCents).
			SetPaymentFrequency(insurancepolicy.PaymentFrequency(in.PaymentFrequency)).
			SetStartDate(day(in.StartDate)).SetStatus(insurancepolicy.Status(in.Status)).SetUpdatedAt(now)
		setOptional(u.Mutation(), in)
		out, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return apperr.PreconditionFailed("the policy changed meanwhile; retry")
		}
		if err != nil {
			return err
		}
		res = Updated
		return recordRenewal(ctx, tx, cur, out, now)
	})
	switch {
	case err == nil:
		return out, res, nil
	case apperr.KindOf(err) != apperr.KindInternal:
		return nil, "", err
	case ent.IsConstraintError(err):
		return nil, "", apperr.Invalid("another policy has this number",
			apperr.FieldError{Field: "/number", Code: "unique", Message: "another policy has this number"})
	}
	return nil, "", fmt.Errorf("upsert policy: %w", err)
}

// minRenewalTerm is the shortest move of a renewal date that counts as a
// renewal: the shortest policy term (a month). A smaller move is the
// insurer correcting the date, not renewing.
const minRenewalTerm = 28 * 24 * time.Hour

// recordRenewal records a renewal when an update moved a policy's renewal
// date on by at least minRenewalTerm and left the policy in force (active
// or in grace): the renewal due on the old date was renewed. A replayed
// load records nothing twice (one row per policy and due date).
func recordRenewal(ctx context.Context, tx *ent.Tx, before, after *ent.InsurancePolicy, now time.Time) error {
	if before.RenewalDate == nil || after.RenewalDate == nil || after.RenewalDate.Sub(*before.RenewalDate) < minRenewalTerm {
		return nil
	}
	if after.Status != insurancepolicy.StatusActive && after.Status != insurancepolicy.StatusGrace {
		return nil
	}
	err := tx.PolicyRenewal.Create().SetPolicyID(after.ID).SetCustomerID(after.CustomerID).
		SetDueDate(day(*before.RenewalDate)).SetRenewedTo(day(*after.RenewalDate)).SetRecordedAt(now).
		OnConflictColumns(policyrenewal.FieldPolicyID, policyrenewal.FieldDueDate).DoNothing().
		Exec(auth.SystemContext(ctx))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("record renewal: %w", err)
	}
	return nil
}

func setOptional(m *ent.InsurancePolicyMutation, in PolicyInput) {
	if in.InsuredName != nil {
		m.SetInsuredName(*in.InsuredName)
	}
	if in.HolderName != nil {
		m.SetHolderName(*in.HolderName)
	}
	if in.SumAssuredCents != nil {
		m.SetSumAssuredCents(*in.SumAssuredCents)
	}
	if in.Currency != nil {
		m.SetCurrency(*in.Currency)
	}
	if in.NextPremiumDueDate != nil {
		m.SetNextPremiumDueDate(day(*in.NextPremiumDueDate))
	}
	if in.RenewalDate != nil {
		m.SetRenewalDate(day(*in.RenewalDate))
	}
}

// policyEqual reports whether in would leave cur as it is.
func policyEqual(cur *ent.InsurancePolicy, holderID string, in PolicyInput) bool {
	same := cur.CustomerID.String() == holderID && cur.Number == in.Number && cur.ProductCode == in.ProductCode &&
		cur.ProductName == in.ProductName && string(cur.Line) == in.Line && cur.PremiumCents == in.PremiumCents &&
		string(cur.PaymentFrequency) == in.PaymentFrequency && sameDay(in.StartDate, cur.StartDate) &&
		string(cur.Status) == in.Status
	if !same {
		return false
	}
	switch {
	case in.InsuredName != nil && *in.InsuredName != cur.InsuredName,
		in.HolderName != nil && *in.HolderName != cur.HolderName,
		in.SumAssuredCents != nil && *in.SumAssuredCents != cur.SumAssuredCents,
		in.Currency != nil && *in.Currency != cur.Currency,
		in.NextPremiumDueDate != nil && (cur.NextPremiumDueDate == nil || !sameDay(*in.NextPremiumDueDate, *cur.NextPremiumDueDate)),
		in.RenewalDate != nil && (cur.RenewalDate == nil || !sameDay(*in.RenewalDate, *cur.RenewalDate)):
		return false
	}
	return true
}

// day is the date of t at midnight UTC, as dates are stored.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
