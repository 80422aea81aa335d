package httpapi

import (
	"context"
	"fmt"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/customer"
)

const customerPath = "/v1/customers/{id}"

func customerInput(
	name *string, agentID *api.AgentIdFilter, phone, idNumber, health *string, birth *openapi_types.Date,
	gender *api.Gender, occupation *string, income *api.IncomeBand, risk *api.RiskPreference,
	channel *api.ContactChannel, stage *api.LifeStage, family *api.Family, consent *api.Consent, tags *[]string,
) customer.Input {
	return customer.Input{
		Name: name, AgentID: agentID, Phone: phone, IDNumber: idNumber, HealthNotes: health,
		BirthDate: datePtr(birth), Gender: strPtr(gender), Occupation: occupation, IncomeBand: strPtr(income),
		RiskPreference: strPtr(risk), PreferredChannel: strPtr(channel), LifeStage: strPtr(stage),
		Family: familyFromAPI(family), Consent: consentFromAPI(consent), Tags: tags,
	}
}

// ListCustomers lists the caller's book.
func (s *Server) ListCustomers(ctx context.Context, req api.ListCustomersRequestObject) (api.ListCustomersResponseObject, error) {
	p := req.Params
	f := customer.Filter{AgentID: p.AgentId, UpdatedSince: p.UpdatedSince}
	if p.Q != nil {
		f.Q = *p.Q
	}
	if p.Tag != nil {
		f.Tag = *p.Tag
	}
	if p.Phone != nil {
		f.Phone = *p.Phone
	}
	if p.Cursor != nil {
		f.Cursor = *p.Cursor
	}
	if p.Limit != nil {
		f.Limit = int(*p.Limit)
	}
	rows, next, err := s.customers.List(ctx, f)
	if err != nil {
		return nil, err
	}
	page := api.ListCustomers200JSONResponse{Items: make([]api.Customer, 0, len(rows))}
	for _, c := range rows {
		personal, err := s.customers.Reveal(ctx, c, customer.ListView, "GET /v1/customers")
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, customerToAPI(c, personal))
	}
	if next != "" {
		page.NextCursor = &next
	}
	return page, nil
}

// CreateCustomer adds a customer to the book.
func (s *Server) CreateCustomer(ctx context.Context, req api.CreateCustomerRequestObject) (api.CreateCustomerResponseObject, error) {
	b := req.Body
	in := customerInput(&b.Name, b.AgentId, b.Phone, b.IdNumber, b.HealthNotes, b.BirthDate, b.Gender, b.Occupation,
		b.IncomeBand, b.RiskPreference, b.PreferredChannel, b.LifeStage, b.Family, b.Consent, b.Tags)
	in.ID = b.Id
	c, err := s.customers.Create(ctx, in)
	if err != nil {
		return nil, err
	}
	personal, err := s.customers.Reveal(ctx, c, customer.DetailView, "POST /v1/customers")
	if err != nil {
		return nil, err
	}
	return api.CreateCustomer201JSONResponse{
		Body: customerToAPI(c, personal),
		Headers: api.CreateCustomer201ResponseHeaders{
			ETag: customer.ETag(c.Version), Location: fmt.Sprintf("/v1/customers/%s", c.ID),
		},
	}, nil
}

// GetCustomer returns one customer of the book, revealing the personal
// data the caller needs (audited).
func (s *Server) GetCustomer(ctx context.Context, req api.GetCustomerRequestObject) (api.GetCustomerResponseObject, error) {
	c, err := s.customers.Get(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	personal, err := s.customers.Reveal(ctx, c, customer.DetailView, "GET "+customerPath)
	if err != nil {
		return nil, err
	}
	return api.GetCustomer200JSONResponse{Body: customerToAPI(c, personal),
		Headers: api.GetCustomer200ResponseHeaders{ETag: customer.ETag(c.Version)}}, nil
}

// UpdateCustomer changes the fields sent (JSON merge patch).
func (s *Server) UpdateCustomer(ctx context.Context, req api.UpdateCustomerRequestObject) (api.UpdateCustomerResponseObject, error) {
	ifMatch, err := customer.ParseIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := customerInput(b.Name, b.AgentId, b.Phone, b.IdNumber, b.HealthNotes, b.BirthDate, b.Gender, b.Occupation,
		b.IncomeBand, b.RiskPreference, b.PreferredChannel, b.LifeStage, b.Family, b.Consent, b.Tags)
	c, err := s.customers.Update(ctx, req.Id, ifMatch, in)
	if err != nil {
		return nil, err
	}
	personal, err := s.customers.Reveal(ctx, c, customer.DetailView, "PATCH "+customerPath)
	if err != nil {
		return nil, err
	}
	return api.UpdateCustomer200JSONResponse{Body: customerToAPI(c, personal),
		Headers: api.UpdateCustomer200ResponseHeaders{ETag: customer.ETag(c.Version)}}, nil
}

// DeleteCustomer deletes a customer, or with erase=true (admins) erases
// the customer's personal data everywhere.
func (s *Server) DeleteCustomer(ctx context.Context, req api.DeleteCustomerRequestObject) (api.DeleteCustomerResponseObject, error) {
	ifMatch, err := customer.ParseIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if req.Params.Erase != nil && *req.Params.Erase {
		err = s.customers.Erase(ctx, req.Id, ifMatch)
	} else {
		err = s.customers.Delete(ctx, req.Id, ifMatch)
	}
	if err != nil {
		return nil, err
	}
	return api.DeleteCustomer204Response{}, nil
}
