package syncer

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/claim"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	entdevice "github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/npsanswer"
	"github.com/agentdesk/agentdesk/ent/planstep"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	custsvc "github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/store"
)

// customerCols maps the API fields of customers to the columns whose
// versions field_versions keeps.
var customerCols = map[string][]string{
	custsvc.FieldPhone:       {"phone_enc", "phone_hash"},
	custsvc.FieldIDNumber:    {"id_number_enc", "id_number_hash"},
	custsvc.FieldHealthNotes: {"health_notes_enc"},
}

var customerReadOnly = map[string]string{
	"external_id": "external_id belongs to the insurer's systems",
	"erased_at":   "erasure is an admin operation",
}

// customerPatch is a decoded customer mutation.
type customerPatch struct {
	in         custsvc.Input
	clearBirth bool
}

func decodeCustomer(f *fields) *customerPatch {
	p := &customerPatch{}
	in := &p.in
	in.Name = f.text("name", 100, false)
	in.Phone = f.text(custsvc.FieldPhone, 32, true)
	in.IDNumber = f.text(custsvc.FieldIDNumber, 32, true)
	in.HealthNotes = f.text(custsvc.FieldHealthNotes, 4000, true)
	in.BirthDate, p.clearBirth = f.date("birth_date")
	in.Gender = f.enum("gender", "male", "female", "other", "unknown")
	in.Occupation = f.text("occupation", 100, true)
	in.IncomeBand = f.enum("income_band", "low", "lower_middle", "middle", "upper_middle", "high", "unknown")
	in.RiskPreference = f.enum("risk_preference", "conservative", "balanced", "aggressive", "unknown")
	in.PreferredChannel = f.enum("preferred_channel", "phone", "visit", "wechat", "app", "email", "branch")
	in.LifeStage = f.enum("life_stage", "single", "married", "young_family", "mature_family", "empty_nest", "retired", "unknown")
	var fam domain.Family
	if f.decode("family", &fam, "an object") {
		in.Family = &fam
	}
	var consent domain.Consent
	if f.decode("consent", &consent, "an object") {
		consent.UpdatedAt = nil
		in.Consent = &consent
	}
	var tags []string
	if f.decode("tags", &tags, "an array of strings") {
		in.Tags = &tags
	}
	in.AgentID, _ = f.uuid("agent_id", false)
	return p
}

// customerDiff lists the fields of p whose values differ from c's.
func (e *Engine) customerDiff(c *ent.Customer, p *customerPatch) ([]string, error) {
	in := &p.in
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	if in.Name != nil {
		add("name", strings.TrimSpace(*in.Name) != c.Name)
	}
	personal := []struct {
		name, enc string
		v         *string
		norm      func(string) string
	}{
		{custsvc.FieldPhone, c.PhoneEnc, in.Phone, pii.NormalizePhone},
		{custsvc.FieldIDNumber, c.IDNumberEnc, in.IDNumber, func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }},
		{custsvc.FieldHealthNotes, c.HealthNotesEnc, in.HealthNotes, func(s string) string { return s }},
	}
	for _, pf := range personal {
		if pf.v == nil {
			continue
		}
		cur, err := e.pii.Decrypt(pf.name, pf.enc)
		if err != nil {
			return nil, fmt.Errorf("decrypt %s: %w", pf.name, err)
		}
		add(pf.name, pf.norm(*pf.v) != cur)
	}
	switch {
	case p.clearBirth:
		add("birth_date", c.BirthDate != nil)
	case in.BirthDate != nil:
		add("birth_date", c.BirthDate == nil || !c.BirthDate.UTC().Truncate(24*time.Hour).Equal(in.BirthDate.UTC().Truncate(24*time.Hour)))
	}
	enums := []struct {
		name string
		v    *string
		cur  string
	}{
		{"gender", in.Gender, string(c.Gender)}, {"income_band", in.IncomeBand, string(c.IncomeBand)},
		{"risk_preference", in.RiskPreference, string(c.RiskPreference)},
		{"preferred_channel", in.PreferredChannel, string(c.PreferredChannel)}, {"life_stage", in.LifeStage, string(c.LifeStage)},
	}
	for _, en := range enums {
		if en.v != nil {
			add(en.name, *en.v != en.cur)
		}
	}
	if in.Occupation != nil {
		add("occupation", strings.TrimSpace(*in.Occupation) != c.Occupation)
	}
	if in.Family != nil {
		add("family", !reflect.DeepEqual(normFamily(*in.Family), normFamily(c.Family)))
	}
	if in.Consent != nil {
		cc := c.Consent
		add("consent", in.Consent.Push != cc.Push || in.Consent.Marketing != cc.Marketing || in.Consent.DataProcessing != cc.DataProcessing)
	}
	if in.Tags != nil {
		add("tags", !slices.Equal(trimAll(*in.Tags), trimAll(c.Tags)))
	}
	if in.AgentID != nil {
		add("agent_id", c.AgentID == nil || *c.AgentID != *in.AgentID)
	}
	return out, nil
}

func normFamily(f domain.Family) domain.Family {
	if len(f.Children) == 0 {
		f.Children = nil
	}
	return f
}

func trimAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// applyCustomer sets the named fields of p on m, encrypting personal data
// (the same way package customer does).
func (e *Engine) applyCustomer(m *ent.CustomerMutation, p *customerPatch, names []string, now time.Time) error {
	in := &p.in
	for _, name := range names {
		switch name {
		case "name":
			m.SetName(strings.TrimSpace(*in.Name))
		case custsvc.FieldPhone:
			phone := pii.NormalizePhone(*in.Phone)
			enc, err := e.pii.Encrypt(custsvc.FieldPhone, phone)
			if err != nil {
				return err
			}
			m.SetPhoneEnc(enc)
			m.SetPhoneHash(e.pii.Hash(custsvc.FieldPhone, phone))
		case custsvc.FieldIDNumber:
			idn := strings.ToUpper(strings.TrimSpace(*in.IDNumber))
			enc, err := e.pii.Encrypt(custsvc.FieldIDNumber, idn)
			if err != nil {
				return err
			}
			m.SetIDNumberEnc(enc)
			m.SetIDNumberHash(e.pii.Hash(custsvc.FieldIDNumber, idn))
		case custsvc.FieldHealthNotes:
			enc, err := e.pii.Encrypt(custsvc.FieldHealthNotes, *in.HealthNotes)
			if err != nil {
				return err
			}
			m.SetHealthNotesEnc(enc)
		case "birth_date":
			if p.clearBirth {
				m.ClearBirthDate()
			} else {
				m.SetBirthDate(in.BirthDate.UTC().Truncate(24 * time.Hour))
			}
		case "gender":
			m.SetGender(customer.Gender(*in.Gender))
		case "income_band":
			m.SetIncomeBand(customer.IncomeBand(*in.IncomeBand))
		case "risk_preference":
			m.SetRiskPreference(customer.RiskPreference(*in.RiskPreference))
		case "preferred_channel":
			m.SetPreferredChannel(customer.PreferredChannel(*in.PreferredChannel))
		case "life_stage":
			m.SetLifeStage(customer.LifeStage(*in.LifeStage))
		case "occupation":
			m.SetOccupation(strings.TrimSpace(*in.Occupation))
		case "family":
			m.SetFamily(*in.Family)
		case "consent":
			c := *in.Consent
			c.UpdatedAt = &now
			m.SetConsent(c)
		case "tags":
			m.SetTags(trimAll(*in.Tags))
		case "agent_id":
			m.SetAgentID(*in.AgentID)
		}
	}
	return nil
}

// mutateCustomer creates, changes or deletes a customer of the book.
func (e *Engine) mutateCustomer(c *mctx) (Result, error) {
	if c.m.Op == OpDelete {
		return e.deleteCustomer(c)
	}
	f := newFields(c.m.Data, customerReadOnly)
	p := decodeCustomer(f)
	if err := f.finish(c.m.ID); err != nil {
		return rejected(err.(*apperr.Error)), nil
	}
	create := c.creates()
	if err := p.in.Validate(create, c.now); err != nil {
		ae, _ := apperr.As(err)
		return rejected(ae), nil
	}
	v := c.ss.s.v
	if p.in.AgentID != nil && *p.in.AgentID != v.AgentID && v.Role == auth.RoleAgent {
		return rejected(apperr.Forbidden("only a team lead or an admin assigns a customer to another agent")), nil
	}
	q := c.tx.Customer.Query().Where(customer.ID(c.m.ID))
	if c.pg() {
		q.ForUpdate()
	}
	cur, err := q.Only(c.ctx)
	switch {
	case ent.IsNotFound(err) && create:
		return e.createCustomer(c, p)
	case ent.IsNotFound(err):
		return Result{Status: StatusGone}, nil
	case err != nil:
		return Result{}, fmt.Errorf("load customer: %w", err)
	case cur.ErasedAt != nil:
		return rejected(apperr.Conflict("the customer's personal data was erased; it no longer changes")), nil
	}
	changed, err := e.customerDiff(cur, p)
	if err != nil {
		return Result{}, err
	}
	if create {
		return c.existingCreate(store.Customers, cur, cur.Version, changed)
	}
	if c.m.BaseVersion > cur.Version {
		return rejected(aheadOfServer(cur.Version)), nil
	}
	conflicts := c.bothSides(cur.FieldVersions, changed, customerCols)
	after := cur
	if len(changed) > 0 {
		u := c.tx.Customer.UpdateOneID(cur.ID).Where(customer.Version(cur.Version)).SetUpdatedAt(c.now)
		if err := e.applyCustomer(u.Mutation(), p, changed, c.now); err != nil {
			return Result{}, err
		}
		if after, err = u.Save(c.ctx); ent.IsNotFound(err) {
			return Result{Status: StatusGone}, nil
		} else if err != nil {
			return Result{}, err
		}
	}
	return c.updated(store.Customers, after, after.Version, cur.Version, conflicts)
}

func (e *Engine) createCustomer(c *mctx, p *customerPatch) (Result, error) {
	if exists, err := c.tx.Customer.Query().Where(customer.ID(c.m.ID)).Exist(auth.SystemContext(c.ctx)); err != nil || exists {
		return Result{Status: StatusGone}, err
	}
	if p.in.AgentID == nil {
		me := c.me()
		p.in.AgentID = &me
	}
	cr := c.tx.Customer.Create().SetID(c.m.ID).SetName(strings.TrimSpace(*p.in.Name)).SetCreatedAt(c.now).SetUpdatedAt(c.now)
	names := []string{custsvc.FieldPhone, custsvc.FieldIDNumber, custsvc.FieldHealthNotes, "birth_date", "gender", "income_band",
		"risk_preference", "preferred_channel", "life_stage", "occupation", "family", "consent", "tags", "agent_id"}
	present := names[:0:0]
	for _, n := range names {
		if f := p.field(n); f {
			present = append(present, n)
		}
	}
	if err := e.applyCustomer(cr.Mutation(), p, present, c.now); err != nil {
		return Result{}, err
	}
	rec, err := cr.Save(c.ctx)
	if err != nil {
		return Result{}, err
	}
	return c.created(store.Customers, rec, rec.Version)
}

// field reports whether the patch sets a field.
func (p *customerPatch) field(name string) bool {
	in := &p.in
	switch name {
	case custsvc.FieldPhone:
		return in.Phone != nil
	case custsvc.FieldIDNumber:
		return in.IDNumber != nil
	case custsvc.FieldHealthNotes:
		return in.HealthNotes != nil
	case "birth_date":
		return in.BirthDate != nil || p.clearBirth
	case "gender":
		return in.Gender != nil
	case "income_band":
		return in.IncomeBand != nil
	case "risk_preference":
		return in.RiskPreference != nil
	case "preferred_channel":
		return in.PreferredChannel != nil
	case "life_stage":
		return in.LifeStage != nil
	case "occupation":
		return in.Occupation != nil
	case "family":
		return in.Family != nil
	case "consent":
		return in.Consent != nil
	case "tags":
		return in.Tags != nil
	case "agent_id":
		return in.AgentID != nil
	}
	return false
}

// deleteCustomer removes a customer with everything under it, as package
// customer does: agents delete prospects (customers without policies).
// A delete made on an older version still applies (the last writer by
// receive order); the fields changed since are named as conflicts.
func (e *Engine) deleteCustomer(c *mctx) (Result, error) {
	if len(c.m.Data) > 0 {
		return rejected(noData()), nil
	}
	q := c.tx.Customer.Query().Where(customer.ID(c.m.ID))
	if c.pg() {
		q.ForUpdate()
	}
	cur, err := q.Only(c.ctx)
	if ent.IsNotFound(err) {
		return Result{Status: StatusGone}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("load customer: %w", err)
	}
	if c.m.BaseVersion > cur.Version {
		return rejected(aheadOfServer(cur.Version)), nil
	}
	sys := auth.SystemContext(c.ctx)
	id := cur.ID
	n, err := c.tx.InsurancePolicy.Query().Where(insurancepolicy.CustomerID(id)).Count(sys)
	if err != nil {
		return Result{}, err
	}
	if n > 0 && !c.ss.s.admin {
		return rejected(apperr.Conflict("the customer holds policies; only an admin deletes such a customer")), nil
	}
	tx := c.tx
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
		func() error { _, err := tx.Device.Delete().Where(entdevice.CustomerID(id)).Exec(sys); return err },
		func() error {
			_, err := tx.Reminder.Delete().Where(reminder.CustomerID(id), reminder.StatusIn(reminder.StatusPending)).Exec(sys)
			return err
		},
		func() error { return tx.Customer.DeleteOneID(id).Exec(sys) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Result{}, fmt.Errorf("delete customer: %w", err)
		}
	}
	if e.audit != nil {
		if err := e.audit.RecordTx(c.ctx, tx, audit.Entry{Action: "customer.delete", SubjectType: "customer",
			SubjectID: id.String(), Reason: "POST /v1/sync/push"}); err != nil {
			return Result{}, err
		}
	}
	r := Result{Status: StatusApplied, Version: version(cur.Version + 1)}
	if c.base < cur.Version {
		var since []string
		for f, v := range cur.FieldVersions {
			if v > c.base && !slices.Contains(c.own, v) {
				since = append(since, apiCustomerField(f))
			}
		}
		slices.Sort(since)
		if since = slices.Compact(since); len(since) > 0 {
			r.Status, r.Conflicts = StatusConflict, since
		}
	}
	return r, nil
}

// apiCustomerField names a customer column as the API does.
func apiCustomerField(col string) string {
	for f, cols := range customerCols {
		if slices.Contains(cols, col) {
			return f
		}
	}
	return col
}
