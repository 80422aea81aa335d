// Package integration serves the insurer's systems: idempotent upserts of
// customers and policies keyed by their external ids, batches of them with
// per-row results, and an incremental export of the change log.
package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	entcustomer "github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Result says what an upsert did.
type Result string

// The outcomes of an upsert.
const (
	Created   Result = "created"
	Updated   Result = "updated"
	Unchanged Result = "unchanged"
)

// Service applies integrators' upserts.
type Service struct {
	db        *store.DB
	customers *customer.Service
	pii       *pii.Protector
	clock     clock.Clock
	chunk     int // rows per batch transaction; BatchChunk when 0
}

// reader returns the client that reads what this request wrote: the shared
// transaction's inside a batch chunk (store.WithSharedTx), else the pool's.
func (s *Service) reader(ctx context.Context) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return s.db.Client
}

// NewService returns the integration service; customers writes (and
// encrypts) the customers.
func NewService(db *store.DB, customers *customer.Service, p *pii.Protector, clk clock.Clock) *Service {
	return &Service{db: db, customers: customers, pii: p, clock: clk}
}

// CustomerInput is a customer as an integrator sends it; nil means "not
// given" (left as it is on update).
type CustomerInput struct {
	Name             string
	Phone            *string
	IDNumber         *string
	BirthDate        *time.Time
	Gender           *string
	Occupation       *string
	IncomeBand       *string
	RiskPreference   *string
	PreferredChannel *string
	LifeStage        *string
	Family           *domain.Family
	Consent          *domain.Consent
	Tags             *[]string
	AgentID          *uuid.UUID
	AgentUsername    *string
}

// UpsertCustomer creates or updates the customer with this external id.
// ifMatch, when given, must be the current version (412 otherwise, also
// when there is no such customer yet). Sending what is stored already
// writes nothing and answers Unchanged.
func (s *Service) UpsertCustomer(ctx context.Context, externalID string, ifMatch *int64, in CustomerInput) (*ent.Customer, Result, error) {
	if err := requireScope(ctx, access.CustomersWrite); err != nil {
		return nil, "", err
	}
	if err := checkExternalID(externalID); err != nil {
		return nil, "", err
	}
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	agentID, err := s.resolveAgent(ctx, in.AgentID, in.AgentUsername)
	if err != nil {
		return nil, "", err
	}
	for attempt := 0; ; attempt++ {
		c, res, err := s.upsertCustomerOnce(ctx, externalID, ifMatch, in, agentID)
		// A concurrent writer moved the version under a caller that did
		// not ask for one: read again and retry.
		if ifMatch == nil && apperr.KindOf(err) == apperr.KindPreconditionFailed && attempt < 3 {
			continue
		}
		return c, res, err
	}
}

func (s *Service) upsertCustomerOnce(ctx context.Context, externalID string, ifMatch *int64, in CustomerInput, agentID *uuid.UUID) (*ent.Customer, Result, error) {
	cur, err := s.reader(ctx).Customer.Query().Where(entcustomer.ExternalID(externalID)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		if ifMatch != nil {
			return nil, "", apperr.PreconditionFailed("no customer has this external id yet")
		}
		ci := in.toInput(agentID)
		ci.ExternalID = &externalID
		c, err := s.customers.Create(ctx, ci)
		if err != nil {
			return nil, "", err
		}
		return c, Created, nil
	case err != nil:
		return nil, "", fmt.Errorf("find customer: %w", err)
	}
	if ifMatch != nil && *ifMatch != cur.Version {
		return nil, "", apperr.PreconditionFailed(fmt.Sprintf("the customer is at version %d, not %d", cur.Version, *ifMatch))
	}
	if cur.ErasedAt != nil {
		return nil, "", apperr.Conflict("the customer was erased")
	}
	diff, err := s.customerDiff(cur, in, agentID)
	if err != nil {
		return nil, "", err
	}
	if diff == nil {
		return cur, Unchanged, nil
	}
	c, err := s.customers.Update(ctx, cur.ID, &cur.Version, *diff)
	if err != nil {
		return nil, "", err
	}
	return c, Updated, nil
}

func (in CustomerInput) validate() error {
	var fe []apperr.FieldError
	if strings.TrimSpace(in.Name) == "" {
		fe = append(fe, apperr.FieldError{Field: "/name", Code: "required", Message: "is required"})
	}
	enum := func(field string, v *string, check func(string) error) {
		if v != nil && check(*v) != nil {
			fe = append(fe, apperr.FieldError{Field: field, Code: "enum", Message: "is not one of the allowed values"})
		}
	}
	enum("/gender", in.Gender, func(v string) error { return entcustomer.GenderValidator(entcustomer.Gender(v)) })
	enum("/income_band", in.IncomeBand, func(v string) error { return entcustomer.IncomeBandValidator(entcustomer.IncomeBand(v)) })
	enum("/risk_preference", in.RiskPreference, func(v string) error {
		return entcustomer.RiskPreferenceValidator(entcustomer.RiskPreference(v))
	})
	enum("/preferred_channel", in.PreferredChannel, func(v string) error {
		return entcustomer.PreferredChannelValidator(entcustomer.PreferredChannel(v))
	})
	enum("/life_stage", in.LifeStage, func(v string) error { return entcustomer.LifeStageValidator(entcustomer.LifeStage(v)) })
	if len(fe) > 0 {
		return apperr.Invalid("the customer is invalid", fe...)
	}
	return nil
}

func (in CustomerInput) toInput(agentID *uuid.UUID) customer.Input {
	name := in.Name
	return customer.Input{
		AgentID: agentID, Name: &name, Phone: in.Phone, IDNumber: in.IDNumber, BirthDate: in.BirthDate,
		Gender: in.Gender, Occupation: in.Occupation, IncomeBand: in.IncomeBand, RiskPreference: in.RiskPreference,
		PreferredChannel: in.PreferredChannel, LifeStage: in.LifeStage, Family: in.Family, Consent: in.Consent, Tags: in.Tags,
	}
}

// customerDiff returns the fields of in that differ from cur, or nil when
// none does. Personal data is compared decrypted: its ciphertext carries a
// random nonce.
func (s *Service) customerDiff(cur *ent.Customer, in CustomerInput, agentID *uuid.UUID) (*customer.Input, error) {
	var d customer.Input
	changed := false
	if name := strings.TrimSpace(in.Name); name != cur.Name {
		d.Name, changed = &name, true
	}
	if in.Phone != nil {
		stored, err := s.pii.Decrypt(customer.FieldPhone, cur.PhoneEnc)
		if err != nil {
			return nil, fmt.Errorf("decrypt phone: %w", err)
		}
		if pii.NormalizePhone(*in.Phone) != stored {
			d.Phone, changed = in.Phone, true
		}
	}
	if in.IDNumber != nil {
		stored, err := s.pii.Decrypt(customer.FieldIDNumber, cur.IDNumberEnc)
		if err != nil {
			return nil, fmt.Errorf("decrypt id number: %w", err)
		}
		if strings.ToUpper(strings.TrimSpace(*in.IDNumber)) != stored {
			d.IDNumber, changed = in.IDNumber, true
		}
	}
	if in.BirthDate != nil && (cur.BirthDate == nil || !sameDay(*in.BirthDate, *cur.BirthDate)) {
		d.BirthDate, changed = in.BirthDate, true
	}
	str := func(v *string, stored string, dst **string) {
		if v != nil && *v != stored {
			*dst, changed = v, true
		}
	}
	str(in.Gender, string(cur.Gender), &d.Gender)
	if in.Occupation != nil && strings.TrimSpace(*in.Occupation) != cur.Occupation {
		d.Occupation, changed = in.Occupation, true
	}
	str(in.IncomeBand, string(cur.IncomeBand), &d.IncomeBand)
	str(in.RiskPreference, string(cur.RiskPreference), &d.RiskPreference)
	str(in.PreferredChannel, string(cur.PreferredChannel), &d.PreferredChannel)
	str(in.LifeStage, string(cur.LifeStage), &d.LifeStage)
	if in.Family != nil && !sameFamily(*in.Family, cur.Family) {
		d.Family, changed = in.Family, true
	}
	if in.Consent != nil {
		c := cur.Consent
		if in.Consent.Push != c.Push || in.Consent.Marketing != c.Marketing || in.Consent.DataProcessing != c.DataProcessing {
			d.Consent, changed = in.Consent, true
		}
	}
	if in.Tags != nil {
		tags := make([]string, 0, len(*in.Tags))
		for _, t := range *in.Tags {
			tags = append(tags, strings.TrimSpace(t))
		}
		if !slices.Equal(tags, cur.Tags) {
			d.Tags, changed = in.Tags, true
		}
	}
	if agentID != nil && (cur.AgentID == nil || *cur.AgentID != *agentID) {
		d.AgentID, changed = agentID, true
	}
	if !changed {
		return nil, nil
	}
	return &d, nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

func sameFamily(a, b domain.Family) bool {
	return a.Spouse == b.Spouse && a.Dependants == b.Dependants && slices.Equal(a.Children, b.Children)
}

// resolveAgent finds the agent an integrator names by id or username.
// Integrators may not read agents, so the lookup runs as the system.
func (s *Service) resolveAgent(ctx context.Context, id *uuid.UUID, username *string) (*uuid.UUID, error) {
	sys := auth.SystemContext(ctx)
	var found *uuid.UUID
	if username != nil {
		a, err := s.reader(ctx).Agent.Query().Where(agent.Username(*username)).Only(sys)
		if ent.IsNotFound(err) {
			return nil, apperr.Invalid("no agent has this username",
				apperr.FieldError{Field: "/agent_username", Code: "not_found", Message: "no agent has this username"})
		}
		if err != nil {
			return nil, fmt.Errorf("find agent: %w", err)
		}
		found = &a.ID
	}
	if id != nil {
		ok, err := s.reader(ctx).Agent.Query().Where(agent.ID(*id)).Exist(sys)
		if err != nil {
			return nil, fmt.Errorf("find agent: %w", err)
		}
		if !ok {
			return nil, apperr.Invalid("no agent has this id",
				apperr.FieldError{Field: "/agent_id", Code: "not_found", Message: "no agent has this id"})
		}
		if found != nil && *found != *id {
			return nil, apperr.Invalid("agent_id and agent_username name different agents",
				apperr.FieldError{Field: "/agent_id", Code: "mismatch", Message: "names another agent than agent_username"})
		}
		found = id
	}
	return found, nil
}

func checkExternalID(id string) error {
	if strings.TrimSpace(id) == "" || len(id) > 128 {
		return apperr.Invalid("the external id is invalid",
			apperr.FieldError{Field: "external_id", Code: "length", Message: "must have 1 to 128 characters"})
	}
	return nil
}

// requireScope lets admins and integrators holding scope through.
func requireScope(ctx context.Context, scope string) error {
	v, ok := auth.ViewerFrom(ctx)
	switch {
	case !ok:
		return apperr.Unauthenticated("authentication required")
	case v.IsAdmin(), v.HasScope(scope):
		return nil
	}
	return apperr.Forbidden("the " + scope + " scope is required")
}
