package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apptest"
)

func TestWorkingCalendar(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		b := newBook(t, e)
		admin := b.tok(t, "admin")
		calendar := func(query string) api.WorkingCalendar {
			t.Helper()
			res := e.Do(t, apptest.Request{Method: "GET", Path: "/v1/admin/calendar" + query, Token: admin})
			outcome{status: 200}.check(t, res)
			var c api.WorkingCalendar
			res.JSON(t, &c)
			return c
		}
		if c := calendar(""); c.Year != 2026 || c.Days == nil || len(c.Days) != 0 {
			t.Fatalf("empty calendar = %+v", c)
		}
		// A complaint received before the edit (Monday 2026-11-23 10:00).
		before := createComplaint(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "other", "summary": "前"})

		note := func(s string) *string { return &s }
		tests := []struct {
			name, token, date string
			body              map[string]any
			want              outcome
			day               *api.CalendarDay
		}{
			{"a holiday on Tuesday", admin, "2026-11-24", map[string]any{"working_day": false, "note": "司庆"}, outcome{status: 200},
				&api.CalendarDay{Date: civilDate(2026, 11, 24), WorkingDay: false, Note: note("司庆")}},
			{"a working Saturday (调休)", admin, "2026-11-28", map[string]any{"working_day": true, "note": "调休上班"}, outcome{status: 200},
				&api.CalendarDay{Date: civilDate(2026, 11, 28), WorkingDay: true, Note: note("调休上班")}},
			{"lead", b.tok(t, "lead1"), "2026-11-25", map[string]any{"working_day": false}, outcome{status: 403}, nil},
			{"agent", b.tok(t, "agent1"), "2026-11-25", map[string]any{"working_day": false}, outcome{status: 403}, nil},
			{"integrator", e.IntegratorToken(t, "crm", "reports:read"), "2026-11-25", map[string]any{"working_day": false}, outcome{status: 403}, nil},
			{"working_day missing", admin, "2026-11-25", map[string]any{"note": "x"}, outcome{status: 400, fields: []string{"/working_day"}}, nil},
			{"note too long", admin, "2026-11-25", map[string]any{"working_day": false, "note": strings.Repeat("节", 201)},
				outcome{status: 400, fields: []string{"/note"}}, nil},
			{"not a date", admin, "2026-13-01", map[string]any{"working_day": false}, outcome{status: 400, fields: []string{"date"}}, nil},
			{"out of range", admin, "1999-10-01", map[string]any{"working_day": false}, outcome{status: 400, fields: []string{"date"}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/admin/calendar/" + tt.date, Token: tt.token, Body: tt.body})
				tt.want.check(t, res)
				if tt.day == nil {
					return
				}
				var got api.CalendarDay
				res.JSON(t, &got)
				if diff := cmp.Diff(*tt.day, got); diff != "" {
					t.Errorf("day mismatch (-want +got):\n%s", diff)
				}
			})
		}

		wantDays := []api.CalendarDay{
			{Date: civilDate(2026, 11, 24), WorkingDay: false, Note: note("司庆")},
			{Date: civilDate(2026, 11, 28), WorkingDay: true, Note: note("调休上班")},
		}
		if diff := cmp.Diff(wantDays, calendar("?year=2026").Days); diff != "" {
			t.Errorf("2026 mismatch (-want +got):\n%s", diff)
		}
		if c := calendar("?year=2027"); len(c.Days) != 0 || c.Year != 2027 {
			t.Errorf("2027 = %+v", c)
		}
		for _, token := range []string{b.tok(t, "lead1"), e.IntegratorToken(t, "crm", "reports:read")} {
			outcome{status: 403}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/admin/calendar", Token: token}))
		}
		outcome{status: 400, fields: []string{"year"}}.check(t, e.Do(t, apptest.Request{Method: "GET", Path: "/v1/admin/calendar?year=1999", Token: admin}))

		// A complaint received now skips the holiday and counts the
		// working Saturday: answer by Thursday, close by Wednesday 2 Dec.
		after := createComplaint(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "other", "summary": "后"})
		got := map[string]api.ComplaintSla{"before": before.Sla, "after": after.Sla}
		wantSLA := map[string]api.ComplaintSla{
			"before": {AcknowledgeDueAt: inShanghai(2026, 11, 24, 10, 0), AnswerDueAt: inShanghai(2026, 11, 25, 10, 0),
				CloseDueAt: inShanghai(2026, 12, 2, 10, 0), State: api.OnTrack},
			"after": {AcknowledgeDueAt: inShanghai(2026, 11, 24, 10, 0), AnswerDueAt: inShanghai(2026, 11, 26, 10, 0),
				CloseDueAt: inShanghai(2026, 12, 2, 10, 0), State: api.OnTrack},
		}
		if diff := cmp.Diff(wantSLA, got); diff != "" {
			t.Errorf("due times mismatch (-want +got):\n%s", diff)
		}

		// Back to the default: the exception goes away, and so does its effect.
		res := e.Do(t, apptest.Request{Method: "PUT", Path: "/v1/admin/calendar/2026-11-24", Token: admin, Body: map[string]any{"working_day": true}})
		outcome{status: 200}.check(t, res)
		if diff := cmp.Diff(wantDays[1:], calendar("").Days); diff != "" {
			t.Errorf("after the reset (-want +got):\n%s", diff)
		}
		last := createComplaint(t, e, b.tok(t, "agent1"), map[string]any{"customer_id": b.c1, "category": "other", "summary": "重置后"})
		if !last.Sla.AnswerDueAt.Equal(inShanghai(2026, 11, 25, 10, 0)) || !last.Sla.CloseDueAt.Equal(inShanghai(2026, 12, 1, 10, 0)) {
			t.Errorf("after the reset: answer %v, close %v", last.Sla.AnswerDueAt, last.Sla.CloseDueAt)
		}
	})
}

// civilDate is a date as the API carries it: midnight UTC.
func civilDate(y int, m time.Month, d int) openapi_types.Date {
	return openapi_types.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}
