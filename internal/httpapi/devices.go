package httpapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	entcustomer "github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// Defaults of a new device that does not say its locale or time zone and
// whose owner has none.
const (
	defaultDeviceLocale   = "zh-CN"
	defaultDeviceTimeZone = "Asia/Shanghai"
)

// problemPushConsent is the problem type of a customer's device refused
// for want of push consent.
const problemPushConsent = "push-consent-required"

func deviceToAPI(d *ent.Device) api.Device {
	seen := d.LastSeenAt.UTC()
	return api.Device{
		Id: d.ID, Platform: api.DevicePlatform(d.Platform), AppVersion: nullIfEmpty(d.AppVersion),
		Locale: api.Locale(d.Locale), TimeZone: d.TimeZone, CustomerId: d.CustomerID, Enabled: d.Enabled,
		LastSeenAt: &seen, CreatedAt: d.CreatedAt.UTC(),
	}
}

// deviceOwner is whose device a registration is, and the defaults of a
// new device of that owner.
type deviceOwner struct {
	agentID, customerID *uuid.UUID
	locale, timeZone    string
}

// RegisterDevice registers the caller's push token, or (an integrator
// with devices:write) the token of a consenting customer. A token already
// known is the same device: it is refreshed (platform, app version,
// locale, time zone, last seen), enabled again and moved to this owner,
// and the answer is 200 instead of 201. The token itself is never
// answered nor logged.
//
// A token moves between agents (a phone handed over, another agent signed
// in) and between customers, but not between an agent and a customer: the
// agent app and the customer app never share a token, so such a request
// is refused with 409 rather than diverting the other side's pushes.
func (s *Server) RegisterDevice(ctx context.Context, req api.RegisterDeviceRequestObject) (api.RegisterDeviceResponseObject, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := validateDevice(b); err != nil {
		return nil, err
	}
	owner, err := s.registrant(ctx, v, b)
	if err != nil {
		return nil, err
	}
	// The caller is authorized for this owner; the token may be held by a
	// device the caller cannot see (another agent's), so the write runs
	// with the server's rights.
	var (
		d       *ent.Device
		created bool
	)
	for attempt := 0; ; attempt++ {
		d, created, err = s.upsertDevice(auth.SystemContext(ctx), owner, b)
		// Two first registrations of one token race to insert it: the
		// loser finds the winner's device on its second try.
		if err == nil || !ent.IsConstraintError(err) || attempt > 0 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if created {
		return api.RegisterDevice201JSONResponse{Body: deviceToAPI(d),
			Headers: api.RegisterDevice201ResponseHeaders{Location: "/v1/devices/" + d.ID.String()}}, nil
	}
	return api.RegisterDevice200JSONResponse(deviceToAPI(d)), nil
}

// validateDevice checks what the contract cannot: a token that is not
// blank and an IANA time zone.
func validateDevice(b *api.DeviceRegistration) error {
	var errs []apperr.FieldError
	if strings.TrimSpace(b.Token) == "" {
		errs = append(errs, apperr.FieldError{Field: "/token", Code: "required", Message: "token must not be blank"})
	}
	if b.TimeZone != nil && !validTimeZone(*b.TimeZone) {
		errs = append(errs, apperr.FieldError{Field: "/time_zone", Code: "time_zone",
			Message: "must be an IANA time zone name such as Asia/Shanghai"})
	}
	if len(errs) > 0 {
		return apperr.Invalid("the device registration is not valid", errs...)
	}
	return nil
}

// validTimeZone reports whether name is an IANA zone the server knows
// ("Local" and "" are not zones of a device).
func validTimeZone(name string) bool {
	if name == "" || name == "Local" || strings.TrimSpace(name) != name {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// registrant decides whose device the caller registers: an agent's own,
// or, for an integrator with devices:write, the customer named in the
// body, who must have consented to push.
func (s *Server) registrant(ctx context.Context, v *auth.Viewer, b *api.DeviceRegistration) (deviceOwner, error) {
	switch {
	case v.IsAgent():
		if b.CustomerId != nil {
			return deviceOwner{}, apperr.Forbidden("agents register their own devices; customer_id is for integrators")
		}
		id := v.AgentID
		o := deviceOwner{agentID: &id, locale: defaultDeviceLocale, timeZone: defaultDeviceTimeZone}
		if v.Locale == string(api.En) || v.Locale == string(api.ZhCN) {
			o.locale = v.Locale
		}
		if validTimeZone(v.TimeZone) {
			o.timeZone = v.TimeZone
		}
		return o, nil
	case v.HasScope(access.DevicesWrite):
		if b.CustomerId == nil {
			return deviceOwner{}, apperr.Invalid("an integrator registers the device of a customer",
				apperr.FieldError{Field: "/customer_id", Code: "required", Message: "name the customer whose device it is"})
		}
		// devices:write does not read the book: the consent is looked up
		// on the server's behalf.
		c, err := s.db.Client.Customer.Query().Where(entcustomer.ID(*b.CustomerId)).Only(auth.SystemContext(ctx))
		if ent.IsNotFound(err) {
			return deviceOwner{}, apperr.Invalid("the customer is unknown",
				apperr.FieldError{Field: "/customer_id", Code: "unknown", Message: "no customer has this id"})
		}
		if err != nil {
			return deviceOwner{}, fmt.Errorf("load customer %s: %w", *b.CustomerId, err)
		}
		if !c.Consent.Push {
			return deviceOwner{}, &apperr.Error{Kind: apperr.KindForbidden, Code: problemPushConsent,
				Detail: "the customer has not consented to push notifications"}
		}
		id := c.ID
		return deviceOwner{customerID: &id, locale: defaultDeviceLocale, timeZone: defaultDeviceTimeZone}, nil
	}
	return deviceOwner{}, apperr.Forbidden("registering a device needs an agent or the devices:write scope")
}

// upsertDevice creates the device of a new token, or refreshes and moves
// the device that holds it. ctx has the server's rights.
func (s *Server) upsertDevice(ctx context.Context, o deviceOwner, b *api.DeviceRegistration) (*ent.Device, bool, error) {
	now := s.clock.Now().UTC()
	var (
		out     *ent.Device
		created bool
	)
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := tx.Device.Query().Where(device.Token(b.Token)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			c := tx.Device.Create().SetToken(b.Token).SetPlatform(device.Platform(b.Platform)).
				SetNillableAgentID(o.agentID).SetNillableCustomerID(o.customerID).
				SetAppVersion(derefString(b.AppVersion)).SetLocale(o.locale).SetTimeZone(o.timeZone).
				SetLastSeenAt(now).SetCreatedAt(now).SetUpdatedAt(now)
			if b.Locale != nil {
				c.SetLocale(string(*b.Locale))
			}
			if b.TimeZone != nil {
				c.SetTimeZone(*b.TimeZone)
			}
			out, err = c.Save(ctx)
			created = err == nil
			return err
		case err != nil:
			return fmt.Errorf("look up device token: %w", err)
		}
		if (o.agentID != nil && cur.CustomerID != nil) || (o.customerID != nil && cur.AgentID != nil) {
			return apperr.Conflict("this token is registered to a device of another kind of owner")
		}
		u := tx.Device.UpdateOne(cur).SetPlatform(device.Platform(b.Platform)).
			SetEnabled(true).SetDisabledReason("").SetLastSeenAt(now).SetUpdatedAt(now)
		if o.agentID != nil {
			u.SetAgentID(*o.agentID).ClearCustomerID()
		} else {
			u.SetCustomerID(*o.customerID).ClearAgentID()
		}
		if b.AppVersion != nil {
			u.SetAppVersion(*b.AppVersion)
		}
		if b.Locale != nil {
			u.SetLocale(string(*b.Locale))
		}
		if b.TimeZone != nil {
			u.SetTimeZone(*b.TimeZone)
		}
		out, err = u.Save(ctx)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// DeleteDevice unregisters a device: an agent's own, or a customer's for
// an integrator with devices:write. Another's device is not found.
func (s *Server) DeleteDevice(ctx context.Context, req api.DeleteDeviceRequestObject) (api.DeleteDeviceResponseObject, error) {
	// The access rules narrow the delete to the devices the caller owns.
	n, err := s.db.Client.Device.Delete().Where(device.ID(req.Id)).Exec(ctx)
	if err != nil {
		return nil, denied(fmt.Errorf("delete device %s: %w", req.Id, err))
	}
	if n == 0 {
		return nil, apperr.NotFound("device not found")
	}
	return api.DeleteDevice204Response{}, nil
}
