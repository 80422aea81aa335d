package httpapi_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/internal/apptest"
	"github.com/agentdesk/agentdesk/internal/domain"
)

// registerDevice posts a registration and decodes the device answered.
func registerDevice(t *testing.T, e *apptest.Env, token string, body map[string]any, want int) (api.Device, apptest.Response) {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/devices", Token: token, Body: body})
	if res.Status != want {
		t.Fatalf("POST /v1/devices %v: %d %s, want %d", body["platform"], res.Status, res.Body, want)
	}
	var d api.Device
	if res.Status < 300 {
		res.JSON(t, &d)
		if tok, _ := body["token"].(string); tok != "" && bytes.Contains(res.Body, []byte(tok)) {
			t.Errorf("the answer echoes the token: %s", res.Body)
		}
	}
	return d, res
}

// storedDevice reads a device with the server's rights.
func storedDevice(t *testing.T, e *apptest.Env, id uuid.UUID) *ent.Device {
	t.Helper()
	d, err := e.App.DB.Client.Device.Get(apptest.Sys(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pushCustomer creates a customer of an agent with or without push consent.
func pushCustomer(t *testing.T, e *apptest.Env, agentID uuid.UUID, name string, consent bool) *ent.Customer {
	t.Helper()
	var c *ent.Customer
	err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) (err error) {
		c, err = tx.Customer.Create().SetAgentID(agentID).SetName(name).SetConsent(domain.Consent{Push: consent}).Save(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDevicesRegisterRefreshMoveDelete(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		first, res := registerDevice(t, e, tm.agent1, map[string]any{
			"token": "fcm-token-1", "platform": "android", "app_version": "3.2.0", "locale": "en", "time_zone": "Europe/Berlin",
		}, 201)
		if res.Header.Get("Location") != "/v1/devices/"+first.Id.String() {
			t.Errorf("Location = %q", res.Header.Get("Location"))
		}
		seen := e.Clock.Now().UTC()
		want := api.Device{Id: first.Id, Platform: api.Android, AppVersion: ptrTo("3.2.0"), Locale: api.En,
			TimeZone: "Europe/Berlin", Enabled: true, LastSeenAt: &seen, CreatedAt: seen}
		if diff := cmp.Diff(want, first); diff != "" {
			t.Errorf("registered device (-want +got):\n%s", diff)
		}
		if d := storedDevice(t, e, first.Id); d.AgentID == nil || *d.AgentID != tm.ids["agent1"] || d.Token != "fcm-token-1" {
			t.Errorf("stored device = %v", d)
		}

		// The same token again refreshes the device: 200, fields sent
		// change, fields left out stay.
		e.Clock.Advance(5 * time.Minute)
		again, _ := registerDevice(t, e, tm.agent1, map[string]any{"token": "fcm-token-1", "platform": "android", "app_version": "3.3.0"}, 200)
		seen2 := e.Clock.Now().UTC()
		want.AppVersion, want.LastSeenAt = ptrTo("3.3.0"), &seen2
		if diff := cmp.Diff(want, again); diff != "" {
			t.Errorf("refreshed device (-want +got):\n%s", diff)
		}

		// Another agent signs in on the phone: the device moves to them.
		moved, _ := registerDevice(t, e, tm.agent2, map[string]any{"token": "fcm-token-1", "platform": "android"}, 200)
		if moved.Id != first.Id {
			t.Fatalf("the token made a second device %s", moved.Id)
		}
		if d := storedDevice(t, e, first.Id); d.AgentID == nil || *d.AgentID != tm.ids["agent2"] {
			t.Errorf("device owner after the move = %v, want agent2", d.AgentID)
		}
		if n := e.App.DB.Client.Device.Query().CountX(apptest.Sys()); n != 1 {
			t.Errorf("%d devices stored, want 1", n)
		}

		// Deleting: the former owner no longer finds it; the owner does, once.
		path := "/v1/devices/" + first.Id.String()
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: tm.agent1}); res.Status != 404 {
			t.Errorf("agent1 DELETE of agent2's device: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: tm.admin}); res.Status != 404 {
			t.Errorf("admin DELETE of agent2's device: %d", res.Status)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: tm.agent2}); res.Status != 204 {
			t.Fatalf("agent2 DELETE: %d %s", res.Status, res.Body)
		}
		if res := e.Do(t, apptest.Request{Method: "DELETE", Path: path, Token: tm.agent2}); res.Status != 404 {
			t.Errorf("second DELETE: %d", res.Status)
		}

		// Defaults come from the agent; a token the provider had disabled
		// is enabled again by a registration.
		fresh, _ := registerDevice(t, e, tm.agent3, map[string]any{"token": "fcm-token-2", "platform": "ios"}, 201)
		if fresh.Locale != api.ZhCN || fresh.TimeZone != "Asia/Shanghai" || fresh.AppVersion != nil || fresh.CustomerId != nil {
			t.Errorf("defaults = %+v", fresh)
		}
		e.App.DB.Client.Device.UpdateOneID(fresh.Id).SetEnabled(false).SetDisabledReason("unregistered").ExecX(apptest.Sys())
		back, _ := registerDevice(t, e, tm.agent3, map[string]any{"token": "fcm-token-2", "platform": "ios"}, 200)
		if d := storedDevice(t, e, fresh.Id); !back.Enabled || !d.Enabled || d.DisabledReason != "" {
			t.Errorf("re-registered device enabled=%v stored %v %q", back.Enabled, d.Enabled, d.DisabledReason)
		}
	})
}

func TestDeviceRegistrationValidation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		tests := []struct {
			name  string
			body  map[string]any
			want  int
			field string
		}{
			{"no token", map[string]any{"platform": "android"}, 400, ""},
			{"blank token", map[string]any{"token": "   ", "platform": "android"}, 400, "/token"},
			{"no platform", map[string]any{"token": "t1"}, 400, ""},
			{"unknown platform", map[string]any{"token": "t1", "platform": "symbian"}, 400, ""},
			{"unknown locale", map[string]any{"token": "t1", "platform": "web", "locale": "fr-FR"}, 400, ""},
			{"unknown zone", map[string]any{"token": "t1", "platform": "web", "time_zone": "Mars/Olympus_Mons"}, 400, "/time_zone"},
			{"local zone", map[string]any{"token": "t1", "platform": "web", "time_zone": "Local"}, 400, "/time_zone"},
			{"empty zone", map[string]any{"token": "t1", "platform": "web", "time_zone": ""}, 400, "/time_zone"},
			{"path zone", map[string]any{"token": "t1", "platform": "web", "time_zone": "../etc/passwd"}, 400, "/time_zone"},
			{"extra field", map[string]any{"token": "t1", "platform": "web", "push_token": "x"}, 400, ""},
			{"long app version", map[string]any{"token": "t1", "platform": "web", "app_version": string(make([]byte, 51))}, 400, ""},
			{"agent names a customer", map[string]any{"token": "t1", "platform": "web", "customer_id": uuid.NewString()}, 403, ""},
			{"valid", map[string]any{"token": "t1", "platform": "web", "time_zone": "America/Los_Angeles", "locale": "zh-CN"}, 201, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/devices", Token: tm.agent1, Body: tt.body})
				if res.Status != tt.want {
					t.Fatalf("%d %s, want %d", res.Status, res.Body, tt.want)
				}
				if tt.field != "" {
					var p struct {
						Errors []struct{ Field string } `json:"errors"`
					}
					res.JSON(t, &p)
					if len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
						t.Errorf("errors = %+v, want one for %s", p.Errors, tt.field)
					}
				}
			})
		}
		if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/devices", Body: map[string]any{"token": "t2", "platform": "web"}}); res.Status != 401 {
			t.Errorf("anonymous: %d", res.Status)
		}
	})
}

func TestDevicesOfCustomersByIntegrators(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		consenting := pushCustomer(t, e, tm.ids["agent1"], "王芳", true)
		silent := pushCustomer(t, e, tm.ids["agent1"], "李强", false)
		pas := e.IntegratorToken(t, "pas", "devices:write")
		crm := e.IntegratorToken(t, "crm", "customers:read", "customers:write")

		d, _ := registerDevice(t, e, pas, map[string]any{"token": "cust-token-1", "platform": "ios", "customer_id": consenting.ID}, 201)
		if d.CustomerId == nil || *d.CustomerId != consenting.ID {
			t.Fatalf("customer device = %+v", d)
		}
		if s := storedDevice(t, e, d.Id); s.AgentID != nil {
			t.Errorf("a customer's device has agent %v", s.AgentID)
		}
		registerDevice(t, e, pas, map[string]any{"token": "cust-token-1", "platform": "ios", "customer_id": consenting.ID, "app_version": "1.1"}, 200)

		_, res := registerDevice(t, e, pas, map[string]any{"token": "cust-token-2", "platform": "android", "customer_id": silent.ID}, 403)
		var p struct{ Type string }
		res.JSON(t, &p)
		if p.Type != problemType("push-consent-required") {
			t.Errorf("no consent: problem type %q", p.Type)
		}
		registerDevice(t, e, pas, map[string]any{"token": "cust-token-2", "platform": "android"}, 400)
		registerDevice(t, e, pas, map[string]any{"token": "cust-token-2", "platform": "android", "customer_id": uuid.NewString()}, 400)
		registerDevice(t, e, crm, map[string]any{"token": "cust-token-2", "platform": "android", "customer_id": consenting.ID}, 403)
		if n := e.App.DB.Client.Device.Query().Where(device.Token("cust-token-2")).CountX(apptest.Sys()); n != 0 {
			t.Errorf("refused registrations stored %d devices", n)
		}

		// A token does not cross between the agent app and the customer app.
		agentDev, _ := registerDevice(t, e, tm.agent1, map[string]any{"token": "agent-token", "platform": "android"}, 201)
		registerDevice(t, e, tm.agent1, map[string]any{"token": "cust-token-1", "platform": "ios"}, 409)
		registerDevice(t, e, pas, map[string]any{"token": "agent-token", "platform": "android", "customer_id": consenting.ID}, 409)

		// Integrators delete customers' devices only; agents their own only.
		for _, r := range []struct {
			token string
			id    uuid.UUID
			want  int
		}{
			{pas, agentDev.Id, 404},
			{tm.agent1, d.Id, 404},
			{crm, d.Id, 403},
			{pas, d.Id, 204},
			{tm.agent1, agentDev.Id, 204},
		} {
			if res := e.Do(t, apptest.Request{Method: "DELETE", Path: "/v1/devices/" + r.id.String(), Token: r.token}); res.Status != r.want {
				t.Errorf("DELETE %s: %d %s, want %d", r.id, res.Status, res.Body, r.want)
			}
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

// TestDeviceRegistrationRace registers one new token from several
// requests at once: one device results, created once.
func TestDeviceRegistrationRace(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		const n = 6
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/devices", Token: tm.agent1,
					Body: map[string]any{"token": "raced-token", "platform": "android"}})
				statuses <- res.Status
			})
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if diff := cmp.Diff(map[int]int{201: 1, 200: n - 1}, count); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if got := e.App.DB.Client.Device.Query().Where(device.Token("raced-token")).CountX(apptest.Sys()); got != 1 {
			t.Errorf("%d devices hold the token", got)
		}
	})
}
