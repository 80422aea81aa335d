package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
	"github.com/agentdesk/agentdesk/ent/webhooksubscription"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/viewer"
)

// Input is a new subscription, or the fields of a change that are set.
type Input struct {
	URL         *string
	Events      []string
	Active      *bool
	Description *string
}

// authorize returns the caller when it may manage webhooks: an admin, or
// an integrator with the webhooks:manage scope.
func authorize(ctx context.Context) (*viewer.Viewer, error) {
	v, ok := viewer.From(ctx)
	if !ok {
		return nil, apperr.Unauthenticated("authentication required")
	}
	if !v.IsAdmin() && !v.HasScope(access.WebhooksManage) {
		return nil, apperr.Forbidden("managing webhooks needs the admin role or the webhooks:manage scope")
	}
	return v, nil
}

func (s *Service) checkInput(ctx context.Context, in Input) error {
	var fields []apperr.FieldError
	if in.URL != nil {
		if err := s.guard.CheckURL(ctx, *in.URL); err != nil {
			msg := strings.TrimPrefix(err.Error(), "webhook: ")
			fields = append(fields, apperr.FieldError{Field: "url", Code: "forbidden_target", Message: msg})
		}
	}
	if in.Events != nil && len(in.Events) == 0 {
		fields = append(fields, apperr.FieldError{Field: "events", Code: "min_items", Message: "at least one event type"})
	}
	for i, e := range in.Events {
		if !slices.Contains(EventTypes, e) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("events/%d", i), Code: "enum", Message: "unknown event type"})
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("the subscription is not acceptable", fields...)
	}
	return nil
}

// newSecret returns a signing secret: 32 random bytes.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Create subscribes the caller (or, for an admin, the organisation) to
// events and returns the subscription with its secret, which is stored
// encrypted and never shown again. A replay with the same idempotency key
// (when not empty) returns the first answer, secret included.
func (s *Service) Create(ctx context.Context, idemKey string, in Input) (*ent.WebhookSubscription, string, error) {
	defer s.want.invalidate() // capture event data for the new set at once
	v, err := authorize(ctx)
	if err != nil {
		return nil, "", err
	}
	if in.URL == nil || in.Events == nil {
		return nil, "", apperr.Invalid("url and events are required")
	}
	if err := s.checkInput(ctx, in); err != nil {
		return nil, "", err
	}
	out, err := s.once(ctx, idemKey, "POST /v1/webhooks", in, func(ctx context.Context, tx *ent.Tx) (string, error) {
		secret := newSecret()
		enc, err := s.pii.Encrypt(secretField, secret)
		if err != nil {
			return "", fmt.Errorf("encrypt webhook secret: %w", err)
		}
		now := stamp(s.clock.Now())
		c := tx.WebhookSubscription.Create().SetURL(*in.URL).SetEvents(uniqStrings(in.Events)).
			SetSecretEnc(enc).SetCreatedAt(now).SetUpdatedAt(now)
		if v.Kind == viewer.KindIntegrator {
			c.SetClientID(v.ClientPK)
		}
		if in.Active != nil {
			c.SetActive(*in.Active)
		}
		if in.Description != nil {
			c.SetDescription(*in.Description)
		}
		sub, err := c.Save(ctx)
		if err != nil {
			return "", fmt.Errorf("create webhook subscription: %w", err)
		}
		b, err := json.Marshal(created{ID: sub.ID, Secret: secret})
		return string(b), err
	})
	if err != nil {
		return nil, "", err
	}
	var c created
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		return nil, "", fmt.Errorf("decode created subscription: %w", err)
	}
	sub, err := s.Get(ctx, c.ID)
	if err != nil {
		return nil, "", err
	}
	return sub, c.Secret, nil
}

// created is what Create remembers for replays.
type created struct {
	ID     uuid.UUID `json:"id"`
	Secret string    `json:"secret"`
}

// List returns the caller's subscriptions (all for admins) after the
// cursor, in ID order.
func (s *Service) List(ctx context.Context, after *uuid.UUID, limit int) ([]*ent.WebhookSubscription, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, err
	}
	q := s.db.Client.WebhookSubscription.Query().Order(ent.Asc(webhooksubscription.FieldID)).Limit(limit)
	if after != nil {
		q.Where(webhooksubscription.IDGT(*after))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhook subscriptions: %w", err)
	}
	return rows, nil
}

// Get returns one of the caller's subscriptions; another client's is not
// found.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*ent.WebhookSubscription, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, err
	}
	sub, err := s.db.Client.WebhookSubscription.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("no such webhook subscription")
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook subscription: %w", err)
	}
	return sub, nil
}

// Update changes the fields set in in. check, when not nil, sees the
// current subscription first (the handler's If-Match).
func (s *Service) Update(ctx context.Context, id uuid.UUID, in Input, check func(*ent.WebhookSubscription) error) (*ent.WebhookSubscription, error) {
	defer s.want.invalidate() // capture event data for the new set at once
	cur, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return nil, err
		}
	}
	if err := s.checkInput(ctx, in); err != nil {
		return nil, err
	}
	u := s.db.Client.WebhookSubscription.Update().
		Where(webhooksubscription.ID(id), webhooksubscription.UpdatedAt(cur.UpdatedAt)).
		SetUpdatedAt(later(stamp(s.clock.Now()), cur.UpdatedAt))
	if in.URL != nil {
		u.SetURL(*in.URL)
	}
	if in.Events != nil {
		u.SetEvents(uniqStrings(in.Events))
	}
	if in.Active != nil {
		u.SetActive(*in.Active)
	}
	if in.Description != nil {
		u.SetDescription(*in.Description)
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update webhook subscription: %w", err)
	}
	if n == 0 {
		return nil, apperr.Conflict("the subscription changed meanwhile; reload and retry")
	}
	return s.Get(ctx, id)
}

// later returns now, or just after prev when the clock has not moved past
// it, so that every change gets a new ETag.
func later(now, prev time.Time) time.Time {
	if now.After(prev) {
		return now
	}
	return prev.Add(time.Microsecond)
}

// Delete removes a subscription and its deliveries (pending ones are
// thereby cancelled; a worker in the middle of one loses its lease).
func (s *Service) Delete(ctx context.Context, id uuid.UUID, check func(*ent.WebhookSubscription) error) error {
	defer s.want.invalidate() // capture event data for the new set at once
	cur, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return err
		}
	}
	return s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		// Deliveries are the server's records: the caller's right to the
		// subscription was checked above.
		if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.SubscriptionID(id)).Exec(auth.SystemContext(ctx)); err != nil {
			return fmt.Errorf("delete webhook deliveries: %w", err)
		}
		n, err := tx.WebhookSubscription.Delete().Where(webhooksubscription.ID(id)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("delete webhook subscription: %w", err)
		}
		if n == 0 {
			return apperr.NotFound("no such webhook subscription")
		}
		return nil
	})
}

// Deliveries returns a subscription's deliveries, newest first, before
// the cursor (a delivery ID), optionally in one status.
func (s *Service) Deliveries(ctx context.Context, id uuid.UUID, status *string, before *uuid.UUID, limit int) ([]*ent.WebhookDelivery, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	q := s.db.Client.WebhookDelivery.Query().Where(webhookdelivery.SubscriptionID(id)).
		Order(ent.Desc(webhookdelivery.FieldID)).Limit(limit)
	if status != nil {
		st := webhookdelivery.Status(*status)
		if err := webhookdelivery.StatusValidator(st); err != nil {
			return nil, apperr.Invalid("unknown delivery status", apperr.FieldError{Field: "status", Code: "enum", Message: "unknown status"})
		}
		q.Where(webhookdelivery.StatusEQ(st))
	}
	if before != nil {
		q.Where(webhookdelivery.IDLT(*before))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return rows, nil
}

// Redeliver queues a delivery's event again as a new delivery (a new
// round: same event ID and body, a new delivery ID and attempts), due at
// once. It waits behind earlier open deliveries of its subject like any
// other. A replay with the same idempotency key queues nothing more.
func (s *Service) Redeliver(ctx context.Context, idemKey string, id, deliveryID uuid.UUID) (*ent.WebhookDelivery, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	d, err := s.db.Client.WebhookDelivery.Query().
		Where(webhookdelivery.ID(deliveryID), webhookdelivery.SubscriptionID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("no such delivery of this subscription")
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook delivery: %w", err)
	}
	now := stamp(s.clock.Now())
	op := "POST /v1/webhooks/" + id.String() + "/deliveries/" + deliveryID.String() + "/redeliver"
	out, err := s.once(ctx, idemKey, op, nil, func(ctx context.Context, tx *ent.Tx) (string, error) {
		// Deliveries are the server's records: the caller's right to the
		// subscription was checked above.
		ctx = auth.SystemContext(ctx)
		last, err := tx.WebhookDelivery.Query().
			Where(webhookdelivery.SubscriptionID(id), webhookdelivery.EventID(d.EventID)).
			Order(ent.Desc(webhookdelivery.FieldRound)).First(ctx)
		if err != nil {
			return "", fmt.Errorf("find last round: %w", err)
		}
		nd, err := tx.WebhookDelivery.Create().SetSubscriptionID(id).SetEvent(d.Event).SetEventID(d.EventID).
			SetRound(last.Round + 1).SetSubjectID(d.SubjectID).SetPayload(d.Payload).
			SetNextAttemptAt(now).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return "", err
		}
		return nd.ID.String(), nil
	})
	if ent.IsConstraintError(errors.Unwrap(err)) || ent.IsConstraintError(err) {
		return nil, apperr.Conflict("a redelivery of this event was queued at the same moment; retry")
	}
	if err != nil {
		return nil, fmt.Errorf("redeliver: %w", err)
	}
	nid, err := uuid.Parse(out)
	if err != nil {
		return nil, fmt.Errorf("stored redelivery %q: %w", out, err)
	}
	return s.db.Client.WebhookDelivery.Get(auth.SystemContext(ctx), nid)
}

func uniqStrings(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
