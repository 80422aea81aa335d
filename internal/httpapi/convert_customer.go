package httpapi

import (
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// customerToAPI converts a customer with its personal data as revealed
// to the caller.
func customerToAPI(c *ent.Customer, p customer.Personal) api.Customer {
	out := api.Customer{
		Id:             c.ID,
		Version:        c.Version,
		AgentId:        c.AgentID,
		ExternalId:     c.ExternalID,
		Name:           c.Name,
		Phone:          p.Phone,
		IdNumber:       p.IDNumber,
		HealthNotes:    p.HealthNotes,
		Gender:         api.Gender(c.Gender),
		IncomeBand:     api.IncomeBand(c.IncomeBand),
		RiskPreference: api.RiskPreference(c.RiskPreference),
		LifeStage:      api.LifeStage(c.LifeStage),
		Consent:        consentToAPI(c.Consent),
		Tags:           nonNilStrings(c.Tags),
		CreatedAt:      c.CreatedAt.UTC(),
		UpdatedAt:      c.UpdatedAt.UTC(),
	}
	if c.BirthDate != nil {
		out.BirthDate = &openapi_types.Date{Time: *c.BirthDate}
	}
	if c.Occupation != "" {
		out.Occupation = &c.Occupation
	}
	ch := api.ContactChannel(c.PreferredChannel)
	out.PreferredChannel = &ch
	fam := familyToAPI(c.Family)
	out.Family = &fam
	return out
}

func consentToAPI(c domain.Consent) api.Consent {
	out := api.Consent{Push: &c.Push, Marketing: &c.Marketing, DataProcessing: &c.DataProcessing}
	if c.UpdatedAt != nil {
		t := c.UpdatedAt.UTC()
		out.UpdatedAt = &t
	}
	return out
}

func consentFromAPI(c *api.Consent) *domain.Consent {
	if c == nil {
		return nil
	}
	return &domain.Consent{Push: derefBool(c.Push), Marketing: derefBool(c.Marketing), DataProcessing: derefBool(c.DataProcessing)}
}

func familyToAPI(f domain.Family) api.Family {
	children := make([]api.FamilyChild, 0, len(f.Children))
	for _, c := range f.Children {
		y := int32(c.BirthYear)
		children = append(children, api.FamilyChild{BirthYear: &y})
	}
	dep := int32(f.Dependants)
	spouse := f.Spouse
	return api.Family{Spouse: &spouse, Children: &children, Dependants: &dep}
}

func familyFromAPI(f *api.Family) *domain.Family {
	if f == nil {
		return nil
	}
	out := &domain.Family{Spouse: derefBool(f.Spouse)}
	if f.Dependants != nil {
		out.Dependants = int(*f.Dependants)
	}
	if f.Children != nil {
		for _, c := range *f.Children {
			ch := domain.Child{}
			if c.BirthYear != nil {
				ch.BirthYear = int(*c.BirthYear)
			}
			out.Children = append(out.Children, ch)
		}
	}
	return out
}

func derefBool(b *bool) bool { return b != nil && *b }

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func datePtr(d *openapi_types.Date) *time.Time {
	if d == nil {
		return nil
	}
	t := d.Time
	return &t
}

func strPtr[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := string(*v)
	return &s
}
