package quality_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

func TestAddWorkingDays(t *testing.T) {
	cal := quality.NewCalendar(cst, official2026()...)
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"plain week", local(2026, 3, 10, 9, 30), 2, local(2026, 3, 12, 9, 30)},
		{"over a weekend", local(2026, 3, 6, 10, 0), 2, local(2026, 3, 10, 10, 0)},
		{"Friday before the 调休 Saturday", local(2026, 2, 27, 10, 0), 2, local(2026, 3, 2, 10, 0)},
		{"seven over a weekend", local(2026, 3, 6, 10, 0), 7, local(2026, 3, 17, 10, 0)},
		{"zero on a working day", local(2026, 3, 10, 9, 30), 0, local(2026, 3, 10, 9, 30)},
		{"zero on a Sunday starts Monday", local(2026, 3, 8, 9, 30), 0, local(2026, 3, 9, 0, 0)},
		{"start on a Saturday: whole working days", local(2026, 3, 7, 15, 0), 2, local(2026, 3, 11, 0, 0)},
		{"into the 春节 调休 Saturday", local(2026, 2, 13, 18, 0), 1, local(2026, 2, 14, 18, 0)},
		{"from the 调休 Saturday over 春节", local(2026, 2, 14, 18, 0), 1, local(2026, 2, 24, 18, 0)},
		{"across 春节 from Friday", local(2026, 2, 13, 10, 0), 2, local(2026, 2, 24, 10, 0)},
		{"across 春节 and the second 调休 Saturday", local(2026, 2, 13, 10, 0), 7, local(2026, 3, 2, 10, 0)},
		{"received during 春节", local(2026, 2, 17, 11, 0), 2, local(2026, 2, 26, 0, 0)},
		{"the 国庆 调休 Sunday is working", local(2026, 9, 18, 16, 0), 1, local(2026, 9, 20, 16, 0)},
		{"across 中秋 and 国庆", local(2026, 9, 24, 16, 0), 2, local(2026, 9, 29, 16, 0)},
		{"across 国庆 to the 调休 Saturday", local(2026, 9, 30, 9, 0), 3, local(2026, 10, 10, 9, 0)},
		{"seven across 国庆", local(2026, 9, 30, 9, 0), 7, local(2026, 10, 15, 9, 0)},
		{"negative counts as zero", local(2026, 3, 10, 9, 30), -3, local(2026, 3, 10, 9, 30)},
		{"late evening UTC is the next Shanghai day", time.Date(2026, 2, 27, 17, 0, 0, 0, time.UTC), 1, local(2026, 3, 2, 1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AddWorkingDays(tt.from, tt.n)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from.In(cst), tt.n, got.In(cst), tt.want.In(cst))
			}
			if tt.n > 0 && cal.IsWorkingDay(tt.from) {
				if back := cal.WorkingDaysBetween(tt.from, got); back != tt.n {
					t.Errorf("WorkingDaysBetween(from, AddWorkingDays(from, %d)) = %d", tt.n, back)
				}
			}
		})
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	cal := quality.NewCalendar(cst, official2026()...)
	tests := []struct {
		a, b time.Time
		want int
	}{
		{local(2026, 2, 13, 10, 0), local(2026, 2, 24, 9, 0), 2},  // Sat 14 (调休) and Tue 24
		{local(2026, 2, 24, 9, 0), local(2026, 2, 13, 10, 0), -2}, // reversed
		{local(2026, 9, 30, 0, 0), local(2026, 10, 8, 0, 0), 1},   // 国庆 1–7
		{local(2026, 3, 9, 8, 0), local(2026, 3, 9, 20, 0), 0},    // same day
		{local(2026, 3, 6, 8, 0), local(2026, 3, 13, 8, 0), 5},    // a week
	}
	for _, tt := range tests {
		if got := cal.WorkingDaysBetween(tt.a, tt.b); got != tt.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tt.a.In(cst), tt.b.In(cst), got, tt.want)
		}
	}
}

func TestCalendarLocationIsConfigurable(t *testing.T) {
	utcCal := quality.NewCalendar(time.UTC)
	// Friday 20:00 UTC is Saturday 04:00 in Shanghai: a working day in a UTC
	// calendar, not in a Shanghai one.
	fri := time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC)
	if !utcCal.IsWorkingDay(fri) {
		t.Error("UTC calendar: Friday is not a working day")
	}
	if quality.NewCalendar(nil).IsWorkingDay(fri) {
		t.Error("default (Shanghai) calendar: Saturday is a working day")
	}
	if got, want := utcCal.AddWorkingDays(fri, 1), time.Date(2026, 3, 9, 20, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("UTC calendar: %s, want %s", got, want)
	}
}

func TestCalendarFromDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := auth.SystemContext(context.Background())
		clk := clock.NewFake(local(2026, 9, 1, 9, 0))
		opts := quality.CalendarOptions{Clock: clk, MaxAge: time.Minute}
		admin, err := quality.LoadCalendar(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		other, err := quality.LoadCalendar(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range official2026() {
			if d.Date.Month() < 9 {
				continue
			}
			if _, err := admin.SetDay(ctx, d.Date, d.WorkingDay, d.Note); err != nil {
				t.Fatalf("SetDay %s: %v", d.Date, err)
			}
		}
		// Setting a day twice updates it; setting it to its default removes it.
		if _, err := admin.SetDay(ctx, date(2026, 10, 10), true, "国庆调休"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.SetDay(ctx, date(2026, 9, 21), true, "a Monday"); err != nil {
			t.Fatal(err)
		}
		from := local(2026, 9, 30, 9, 0)
		want := local(2026, 10, 10, 9, 0)
		if got := admin.AddWorkingDays(from, 3); !got.Equal(want) {
			t.Errorf("editing calendar: %s, want %s", got.In(cst), want.In(cst))
		}
		// The other replica keeps its cache until it is stale.
		if err := other.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got := other.AddWorkingDays(from, 3); !got.Equal(local(2026, 10, 5, 9, 0)) {
			t.Errorf("fresh cache was reloaded: %s", got.In(cst))
		}
		clk.Advance(2 * time.Minute)
		if err := other.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got := other.AddWorkingDays(from, 3); !got.Equal(want) {
			t.Errorf("stale cache not reloaded: %s, want %s", got.In(cst), want.In(cst))
		}
		reloaded, err := quality.LoadCalendar(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, d := range reloaded.Days(2026) {
			notes = append(notes, d.Date.Format(time.DateOnly)+" "+d.Note)
		}
		// Holidays on a weekend equal the default and are not stored.
		wantNotes := []string{
			"2026-09-20 国庆节调休上班", "2026-09-25 中秋节",
			"2026-10-01 国庆节", "2026-10-02 国庆节",
			"2026-10-05 国庆节", "2026-10-06 国庆节", "2026-10-07 国庆节", "2026-10-10 国庆调休",
		}
		if diff := cmp.Diff(wantNotes, notes); diff != "" {
			t.Errorf("stored days mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(admin.Days(2026), reloaded.Days(2026)); diff != "" {
			t.Errorf("cache differs from database (-cache +db):\n%s", diff)
		}
	})
}

func TestSetDayValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := auth.SystemContext(context.Background())
		cal, err := quality.LoadCalendar(ctx, db, quality.CalendarOptions{})
		if err != nil {
			t.Fatal(err)
		}
		long := string(make([]rune, 201))
		for _, tt := range []struct {
			name string
			day  time.Time
			note string
			want problem
		}{
			{"long note", date(2026, 5, 1), long, problem{"invalid", []string{"/note"}}},
			{"out of range", date(1999, 5, 1), "", problem{"invalid", []string{"date"}}},
		} {
			_, err := cal.SetDay(ctx, tt.day, false, tt.note)
			if diff := cmp.Diff(tt.want, problemOf(err)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}
