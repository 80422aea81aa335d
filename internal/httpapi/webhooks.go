package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/syncer"
	"github.com/agentdesk/agentdesk/internal/webhook"
)

// WebhookRecordJSON renders a record as the data of a webhook event: the
// JSON of its REST schema, as sync renders it, claims included. It is the
// webhook service's renderer (webhook.Deps.Render).
func WebhookRecordJSON(r syncer.Record) ([]byte, error) {
	if c, ok := r.Entity.(*ent.Claim); ok {
		return json.Marshal(claimToAPI(c, r.Now))
	}
	return SyncRecordJSON(r)
}

func webhookToAPI(w *ent.WebhookSubscription) api.WebhookSubscription {
	events := make([]api.WebhookEventType, len(w.Events))
	for i, e := range w.Events {
		events[i] = api.WebhookEventType(e)
	}
	var desc *string
	if w.Description != "" {
		desc = &w.Description
	}
	return api.WebhookSubscription{Id: w.ID, Url: w.URL, Events: events, Active: w.Active, Description: desc,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

// webhookETag is opaque: subscriptions carry no version, so their last
// change is the tag.
func webhookETag(w *ent.WebhookSubscription) string {
	return `"` + strconv.FormatInt(w.UpdatedAt.UnixNano(), 36) + `"`
}

// webhookIfMatch checks an If-Match header against a subscription.
func webhookIfMatch(h *string) func(*ent.WebhookSubscription) error {
	if h == nil || strings.TrimSpace(*h) == "" || strings.TrimSpace(*h) == "*" {
		return nil
	}
	return func(w *ent.WebhookSubscription) error {
		if strings.TrimPrefix(strings.TrimSpace(*h), "W/") != webhookETag(w) {
			return apperr.PreconditionFailed("the subscription changed meanwhile; reload and retry")
		}
		return nil
	}
}

func eventStrings(es []api.WebhookEventType) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return out
}

func deliveryToAPI(d *ent.WebhookDelivery) api.WebhookDelivery {
	attempts := make([]api.WebhookDeliveryAttempt, len(d.Attempts))
	for i, a := range d.Attempts {
		out := api.WebhookDeliveryAttempt{At: a.At.UTC(), DurationMs: int32(min(a.DurationMS, 1<<31-1))}
		if a.StatusCode != 0 {
			c := int32(a.StatusCode)
			out.StatusCode = &c
		}
		if a.Error != "" {
			e := a.Error
			out.Error = &e
		}
		attempts[i] = out
	}
	out := api.WebhookDelivery{Id: d.ID, SubscriptionId: d.SubscriptionID, Event: api.WebhookEventType(d.Event),
		EventId: d.EventID, Status: api.WebhookDeliveryStatus(d.Status), Attempts: attempts,
		NextAttemptAt: utcTime(d.NextAttemptAt), CreatedAt: d.CreatedAt.UTC()}
	if id, err := uuid.Parse(d.SubjectID); err == nil {
		out.SubjectId = id
	}
	return out
}

// ListWebhooks lists the caller's subscriptions (all for admins).
func (s *Server) ListWebhooks(ctx context.Context, req api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	after, limit, err := pageArgs(req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.webhooks.List(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	page := api.ListWebhooks200JSONResponse{Items: make([]api.WebhookSubscription, 0, len(rows))}
	for _, w := range rows {
		page.Items = append(page.Items, webhookToAPI(w))
	}
	if len(rows) > 0 {
		page.NextCursor = nextCursor(len(rows), limit, rows[len(rows)-1].ID)
	}
	return page, nil
}

// CreateWebhook subscribes to events and shows the signing secret once.
func (s *Server) CreateWebhook(ctx context.Context, req api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	b := req.Body
	w, secret, err := s.webhooks.Create(ctx, derefString(req.Params.IdempotencyKey), webhook.Input{URL: &b.Url, Events: eventStrings(b.Events),
		Active: b.Active, Description: b.Description})
	if err != nil {
		return nil, err
	}
	v := webhookToAPI(w)
	return api.CreateWebhook201JSONResponse{
		Body: api.WebhookSubscriptionCreated{Id: v.Id, Url: v.Url, Events: v.Events, Active: v.Active,
			Description: v.Description, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Secret: secret},
		Headers: api.CreateWebhook201ResponseHeaders{ETag: webhookETag(w), Location: fmt.Sprintf("/v1/webhooks/%s", w.ID)},
	}, nil
}

// GetWebhook returns one subscription, without its secret.
func (s *Server) GetWebhook(ctx context.Context, req api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	w, err := s.webhooks.Get(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetWebhook200JSONResponse{Body: webhookToAPI(w), Headers: api.GetWebhook200ResponseHeaders{ETag: webhookETag(w)}}, nil
}

// UpdateWebhook changes the fields present.
func (s *Server) UpdateWebhook(ctx context.Context, req api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	b := req.Body
	in := webhook.Input{URL: b.Url, Active: b.Active, Description: b.Description}
	if b.Events != nil {
		in.Events = eventStrings(*b.Events)
	}
	w, err := s.webhooks.Update(ctx, req.Id, in, webhookIfMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return api.UpdateWebhook200JSONResponse{Body: webhookToAPI(w), Headers: api.UpdateWebhook200ResponseHeaders{ETag: webhookETag(w)}}, nil
}

// DeleteWebhook removes a subscription; its pending deliveries go with it.
func (s *Server) DeleteWebhook(ctx context.Context, req api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	if err := s.webhooks.Delete(ctx, req.Id, webhookIfMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteWebhook204Response{}, nil
}

// ListWebhookDeliveries lists a subscription's deliveries with their
// attempts, newest first.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	before, limit, err := pageArgs(req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	var status *string
	if req.Params.Status != nil {
		st := string(*req.Params.Status)
		status = &st
	}
	rows, err := s.webhooks.Deliveries(ctx, req.Id, status, before, limit)
	if err != nil {
		return nil, err
	}
	page := api.ListWebhookDeliveries200JSONResponse{Items: make([]api.WebhookDelivery, 0, len(rows))}
	for _, d := range rows {
		page.Items = append(page.Items, deliveryToAPI(d))
	}
	if len(rows) > 0 {
		page.NextCursor = nextCursor(len(rows), limit, rows[len(rows)-1].ID)
	}
	return page, nil
}

// RedeliverWebhookDelivery queues a delivery's event again.
func (s *Server) RedeliverWebhookDelivery(ctx context.Context, req api.RedeliverWebhookDeliveryRequestObject) (api.RedeliverWebhookDeliveryResponseObject, error) {
	d, err := s.webhooks.Redeliver(ctx, derefString(req.Params.IdempotencyKey), req.Id, req.DeliveryId)
	if err != nil {
		return nil, err
	}
	return api.RedeliverWebhookDelivery202JSONResponse(deliveryToAPI(d)), nil
}
