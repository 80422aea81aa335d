package httpapi

import (
	"context"
	"fmt"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/portrait"
)

// GetCustomerPortrait returns a customer's portrait, computing it first
// when it never was. The customer inside carries masked identifiers, as in
// lists: the portrait is no detail view of personal data.
func (s *Server) GetCustomerPortrait(ctx context.Context, req api.GetCustomerPortraitRequestObject) (api.GetCustomerPortraitResponseObject, error) {
	p, err := portrait.Get(ctx, s.db, req.Id)
	if err != nil {
		return nil, err
	}
	c, err := p.Edges.CustomerOrErr()
	if err != nil {
		return nil, fmt.Errorf("portrait of customer %s: %w", req.Id, err)
	}
	personal, err := s.customers.Reveal(ctx, c, customer.ListView, "GET /v1/customers/{id}/portrait")
	if err != nil {
		return nil, err
	}
	return api.GetCustomerPortrait200JSONResponse{Body: portraitToAPI(p, c, personal),
		Headers: api.GetCustomerPortrait200ResponseHeaders{ETag: customer.ETag(p.Version)}}, nil
}
