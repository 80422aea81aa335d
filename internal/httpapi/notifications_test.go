package httpapi_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

// inboxEntry puts a notification in an agent's inbox, created at at.
func inboxEntry(t *testing.T, e *apptest.Env, agentID uuid.UUID, title string, at time.Time) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := e.App.DB.WithTx(apptest.Sys(), func(ctx context.Context, tx *ent.Tx) error {
		n, err := tx.Notification.Create().SetAgentID(agentID).SetKind(notification.KindSystem).SetTitle(title).
			SetData(map[string]string{"k": "v"}).SetCreatedAt(at).SetUpdatedAt(at).Save(ctx)
		if err == nil {
			id = n.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// inbox lists a page of the caller's notifications.
func inbox(t *testing.T, e *apptest.Env, token, query string) api.NotificationPage {
	t.Helper()
	res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/notifications" + query, Token: token})
	if res.Status != 200 {
		t.Fatalf("GET /v1/notifications%s: %d %s", query, res.Status, res.Body)
	}
	var p api.NotificationPage
	res.JSON(t, &p)
	return p
}

func inboxTitles(p api.NotificationPage) []string {
	out := []string{}
	for _, n := range p.Items {
		out = append(out, n.Title)
	}
	return out
}

func TestNotificationsInbox(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		tm := newTeam(t, e)
		base := e.Clock.Now().Add(-time.Hour)
		inboxEntry(t, e, tm.ids["agent1"], "n1", base)
		n2 := inboxEntry(t, e, tm.ids["agent1"], "n2", base.Add(time.Minute))
		inboxEntry(t, e, tm.ids["agent1"], "n3", base.Add(2*time.Minute))
		other := inboxEntry(t, e, tm.ids["agent2"], "other", base)

		if got := inboxTitles(inbox(t, e, tm.agent1, "")); !cmp.Equal(got, []string{"n3", "n2", "n1"}) {
			t.Errorf("agent1's inbox = %v, want newest first", got)
		}
		if got := inboxTitles(inbox(t, e, tm.agent2, "")); !cmp.Equal(got, []string{"other"}) {
			t.Errorf("agent2's inbox = %v", got)
		}
		if got := inboxTitles(inbox(t, e, tm.admin, "")); len(got) != 0 {
			t.Errorf("the admin sees %v in their own inbox", got)
		}
		// Pages.
		page := inbox(t, e, tm.agent1, "?limit=2")
		if got := inboxTitles(page); !cmp.Equal(got, []string{"n3", "n2"}) || page.NextCursor == nil {
			t.Fatalf("first page = %v, cursor %v", got, page.NextCursor)
		}
		page = inbox(t, e, tm.agent1, "?limit=2&cursor="+url.QueryEscape(*page.NextCursor))
		if got := inboxTitles(page); !cmp.Equal(got, []string{"n1"}) || page.NextCursor != nil {
			t.Fatalf("second page = %v, cursor %v", got, page.NextCursor)
		}
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/notifications?cursor=garbage", Token: tm.agent1}); res.Status != 400 {
			t.Errorf("bad cursor: %d", res.Status)
		}

		// Reading one: read_at once, a new version that syncs.
		e.Clock.Advance(time.Minute)
		readAt := e.Clock.Now().UTC()
		path := "/v1/notifications/" + n2.String() + "/read"
		res := e.Do(t, apptest.Request{Method: "POST", Path: path, Token: tm.agent1})
		if res.Status != 200 {
			t.Fatalf("read: %d %s", res.Status, res.Body)
		}
		var n api.Notification
		res.JSON(t, &n)
		if n.ReadAt == nil || !n.ReadAt.Equal(readAt) || n.Version != 2 || res.Header.Get("ETag") != `"2"` || !n.UpdatedAt.Equal(readAt) {
			t.Fatalf("read notification = %+v, etag %s", n, res.Header.Get("ETag"))
		}
		if diff := cmp.Diff(map[string]string{"k": "v"}, n.Data); diff != "" || n.DeepLink != nil || n.Kind != api.NotificationKindSystem {
			t.Errorf("read notification = %+v", n)
		}
		e.Clock.Advance(time.Minute)
		var again api.Notification
		e.Do(t, apptest.Request{Method: "POST", Path: path, Token: tm.agent1}).JSON(t, &again)
		if diff := cmp.Diff(n, again); diff != "" {
			t.Errorf("marking again changed it (-first +again):\n%s", diff)
		}
		if got := inboxTitles(inbox(t, e, tm.agent1, "?unread=true")); !cmp.Equal(got, []string{"n3", "n1"}) {
			t.Errorf("unread = %v", got)
		}
		if got := inboxTitles(inbox(t, e, tm.agent1, "?unread=false")); !cmp.Equal(got, []string{"n2"}) {
			t.Errorf("read = %v", got)
		}
		if got := inboxTitles(inbox(t, e, tm.agent1, "?updated_since="+url.QueryEscape(rfc3339(readAt)))); !cmp.Equal(got, []string{"n2"}) {
			t.Errorf("updated since the read = %v", got)
		}

		// Another's notification, or none: not found, and left unread.
		for _, id := range []uuid.UUID{other, uuid.New()} {
			if res := e.Do(t, apptest.Request{Method: "POST", Path: "/v1/notifications/" + id.String() + "/read", Token: tm.agent1}); res.Status != 404 {
				t.Errorf("read %s: %d", id, res.Status)
			}
		}
		if got := e.App.DB.Client.Notification.GetX(apptest.Sys(), other); got.ReadAt != nil {
			t.Error("agent1 marked agent2's notification read")
		}
		// Inboxes are agents'.
		crm := e.IntegratorToken(t, "crm", "customers:read")
		if res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/notifications", Token: crm}); res.Status != 403 {
			t.Errorf("integrator list: %d", res.Status)
		}
	})
}
