package httpapi

import (
	"context"
	"fmt"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
)

func notificationToAPI(n *ent.Notification) api.Notification {
	data := n.Data
	if data == nil {
		data = map[string]string{}
	}
	return api.Notification{
		Id: n.ID, Version: n.Version, AgentId: n.AgentID, CustomerId: n.CustomerID, PolicyId: n.PolicyID,
		Kind: api.NotificationKind(n.Kind), Title: n.Title, Body: n.Body, Data: data,
		DeepLink: nullIfEmpty(n.DeepLink), ReadAt: utcTime(n.ReadAt),
		CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
	}
}

// ListNotifications lists the caller's inbox newest first: by created_at,
// then by ID, both descending. The access rules keep it to the caller's
// own notifications (and refuse callers that are not agents).
func (s *Server) ListNotifications(ctx context.Context, req api.ListNotificationsRequestObject) (api.ListNotificationsResponseObject, error) {
	p := req.Params
	after, err := decodeTimeCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	q := s.db.Client.Notification.Query()
	if p.Unread != nil {
		if *p.Unread {
			q.Where(notification.ReadAtIsNil())
		} else {
			q.Where(notification.ReadAtNotNil())
		}
	}
	if p.UpdatedSince != nil {
		q.Where(notification.UpdatedAtGTE(p.UpdatedSince.UTC()))
	}
	if after != nil {
		q.Where(notification.Or(notification.CreatedAtLT(after.at),
			notification.And(notification.CreatedAt(after.at), notification.IDLT(after.id))))
	}
	limit := pageLimit(p.Limit)
	rows, err := q.Order(ent.Desc(notification.FieldCreatedAt), ent.Desc(notification.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, denied(fmt.Errorf("list notifications: %w", err))
	}
	page := api.ListNotifications200JSONResponse{Items: make([]api.Notification, 0, min(len(rows), limit))}
	for _, n := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, notificationToAPI(n))
	}
	if len(rows) > limit {
		last := rows[limit-1]
		next := encodeTimeCursor(timeKey{at: last.CreatedAt, id: last.ID})
		page.NextCursor = &next
	}
	return page, nil
}

// MarkNotificationRead sets read_at once: marking a read notification
// again changes nothing and answers it as it is. The write goes through
// the store, so the change syncs to the agent's other devices.
func (s *Server) MarkNotificationRead(ctx context.Context, req api.MarkNotificationReadRequestObject) (api.MarkNotificationReadResponseObject, error) {
	now := s.clock.Now().UTC()
	var out *ent.Notification
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		n, err := tx.Notification.Get(ctx, req.Id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("notification not found")
		}
		if err != nil {
			return fmt.Errorf("load notification %s: %w", req.Id, err)
		}
		if n.ReadAt != nil {
			out = n
			return nil
		}
		// Only an unread row is written: a concurrent mark that won keeps
		// its time, and this one reads it back.
		out, err = tx.Notification.UpdateOne(n).Where(notification.ReadAtIsNil()).
			SetReadAt(now).SetUpdatedAt(now).Save(ctx)
		if ent.IsNotFound(err) {
			out, err = tx.Notification.Get(ctx, req.Id)
		}
		if err != nil {
			return fmt.Errorf("mark notification %s read: %w", req.Id, err)
		}
		return nil
	})
	if err != nil {
		return nil, denied(err)
	}
	return api.MarkNotificationRead200JSONResponse{Body: notificationToAPI(out),
		Headers: api.MarkNotificationRead200ResponseHeaders{ETag: customer.ETag(out.Version)}}, nil
}
