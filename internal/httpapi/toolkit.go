package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/toolkit"
)

// ListToolkitItems lists toolkit items by scenario and key: published
// ones for agents, every state for admins (as stored: a published item
// with a pending draft lists as published).
func (s *Server) ListToolkitItems(ctx context.Context, req api.ListToolkitItemsRequestObject) (api.ListToolkitItemsResponseObject, error) {
	p := req.Params
	in := toolkit.ListInput{
		Scenario: derefString(strPtr(p.Scenario)), Kind: derefString(strPtr(p.Kind)), Tier: derefString(strPtr(p.Tier)),
		Locale: derefString(strPtr(p.Locale)), Status: derefString(strPtr(p.Status)), UpdatedSince: p.UpdatedSince,
		Cursor: derefString(p.Cursor), Limit: pageLimit(p.Limit),
	}
	page, err := toolkit.List(ctx, s.db, in)
	if err != nil {
		return nil, err
	}
	out := api.ListToolkitItems200JSONResponse{Items: make([]api.ToolkitItem, 0, len(page.Items))}
	for _, it := range page.Items {
		out.Items = append(out.Items, toolkitViewToAPI(it))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out, nil
}

// CreateToolkitItem creates a draft item (admins).
func (s *Server) CreateToolkitItem(ctx context.Context, req api.CreateToolkitItemRequestObject) (api.CreateToolkitItemResponseObject, error) {
	b := req.Body
	in := toolkit.CreateInput{
		ID: b.Id, Key: b.Key, Kind: string(b.Kind), Scenario: string(b.Scenario), Tier: string(b.Tier),
		Locale: string(b.Locale), Title: b.Title, Summary: derefString(b.Summary), Content: toolkitContentFromAPI(b.Content),
	}
	if b.Tags != nil {
		in.Tags = *b.Tags
	}
	it, err := toolkit.Create(ctx, s.db, in)
	if err != nil {
		return nil, err
	}
	return api.CreateToolkitItem201JSONResponse{Body: toolkitViewToAPI(it.Effective()), Headers: api.CreateToolkitItem201ResponseHeaders{
		ETag: customer.ETag(it.Version), Location: "/v1/toolkit/items/" + it.ID.String()}}, nil
}

// GetToolkitItem returns an item: its published revision to agents, its
// draft (when there is one) to admins.
func (s *Server) GetToolkitItem(ctx context.Context, req api.GetToolkitItemRequestObject) (api.GetToolkitItemResponseObject, error) {
	it, err := toolkit.Get(ctx, s.db, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetToolkitItem200JSONResponse{Body: toolkitViewToAPI(it.Effective()),
		Headers: api.GetToolkitItem200ResponseHeaders{ETag: customer.ETag(it.Version)}}, nil
}

// UpdateToolkitItem edits an item's draft (admins); agents keep the
// published revision until the draft is published.
func (s *Server) UpdateToolkitItem(ctx context.Context, req api.UpdateToolkitItemRequestObject) (api.UpdateToolkitItemResponseObject, error) {
	base, err := baseVersion(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := toolkit.EditInput{
		Scenario: strPtr(b.Scenario), Tier: strPtr(b.Tier), Locale: strPtr(b.Locale),
		Title: b.Title, Summary: b.Summary, Tags: b.Tags,
	}
	if b.Content != nil {
		c := toolkitContentFromAPI(*b.Content)
		in.Content = &c
	}
	it, err := toolkit.Edit(ctx, s.db, req.Id, base, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateToolkitItem200JSONResponse{Body: toolkitViewToAPI(it.Effective()),
		Headers: api.UpdateToolkitItem200ResponseHeaders{ETag: customer.ETag(it.Version)}}, nil
}

// PublishToolkitItem publishes the draft (admins); the plans that cite the
// item by key follow in the background.
func (s *Server) PublishToolkitItem(ctx context.Context, req api.PublishToolkitItemRequestObject) (api.PublishToolkitItemResponseObject, error) {
	base, err := baseVersion(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	it, err := toolkit.Publish(ctx, s.db, req.Id, base)
	if err != nil {
		return nil, err
	}
	s.recomputeSoon()
	return api.PublishToolkitItem200JSONResponse{Body: toolkitViewToAPI(it),
		Headers: api.PublishToolkitItem200ResponseHeaders{ETag: customer.ETag(it.Version)}}, nil
}

// RetireToolkitItem withdraws an item from agents (admins).
func (s *Server) RetireToolkitItem(ctx context.Context, req api.RetireToolkitItemRequestObject) (api.RetireToolkitItemResponseObject, error) {
	base, err := baseVersion(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	it, err := toolkit.Retire(ctx, s.db, req.Id, base)
	if err != nil {
		return nil, err
	}
	s.recomputeSoon()
	return api.RetireToolkitItem200JSONResponse{Body: toolkitViewToAPI(it),
		Headers: api.RetireToolkitItem200ResponseHeaders{ETag: customer.ETag(it.Version)}}, nil
}

// ListToolkitItemRevisions lists an item's published revisions, newest
// first.
func (s *Server) ListToolkitItemRevisions(ctx context.Context, req api.ListToolkitItemRevisionsRequestObject) (api.ListToolkitItemRevisionsResponseObject, error) {
	p := req.Params
	page, err := toolkit.Versions(ctx, s.db, req.Id, toolkit.VersionsInput{Cursor: derefString(p.Cursor), Limit: pageLimit(p.Limit)})
	if err != nil {
		return nil, err
	}
	out := api.ListToolkitItemRevisions200JSONResponse{Items: make([]api.ToolkitItemRevision, 0, len(page.Items))}
	for _, r := range page.Items {
		out.Items = append(out.Items, toolkitRevisionToAPI(r))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out, nil
}

// RenderToolkitItem fills a published item's placeholders for a customer
// the caller sees, and optionally one of the customer's policies.
func (s *Server) RenderToolkitItem(ctx context.Context, req api.RenderToolkitItemRequestObject) (api.RenderToolkitItemResponseObject, error) {
	p := req.Params
	r, err := toolkit.RenderFor(ctx, s.db, toolkit.RenderRequest{ItemID: req.Id, CustomerID: p.CustomerId, PolicyID: p.PolicyId,
		Locale: derefString(strPtr(p.Locale))})
	if err != nil {
		return nil, err
	}
	return api.RenderToolkitItem200JSONResponse(renderedToAPI(r)), nil
}
