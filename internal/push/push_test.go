package push

import (
	"math/rand/v2"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

// TestSendTime checks send times in zones on both sides of UTC, across DST
// changes, month ends, leap days and year ends, with the send time moved
// out of quiet hours.
func TestSendTime(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		name   string
		zone   string
		due    time.Time
		window int
		sendAt time.Duration // 0: default 09:00
		quiet  *QuietHours   // nil: default 21:00–08:00
		want   time.Time     // UTC
		local  string        // the local wall time of want
	}{
		{name: "Shanghai", zone: "Asia/Shanghai", due: day(2026, 3, 20), window: 3,
			want: utc(2026, 3, 17, 1, 0), local: "2026-03-17 09:00 CST"},
		{name: "Urumqi day itself", zone: "Asia/Urumqi", due: day(2026, 3, 20), window: 0,
			want: utc(2026, 3, 20, 3, 0), local: "2026-03-20 09:00 +06"},
		{name: "Los Angeles on the DST start day", zone: "America/Los_Angeles", due: day(2026, 3, 9), window: 1,
			want: utc(2026, 3, 8, 16, 0), local: "2026-03-08 09:00 PDT"},
		{name: "Los Angeles the day before DST", zone: "America/Los_Angeles", due: day(2026, 3, 9), window: 2,
			want: utc(2026, 3, 7, 17, 0), local: "2026-03-07 09:00 PST"},
		{name: "Auckland on the DST end day: previous UTC day", zone: "Pacific/Auckland", due: day(2026, 4, 6), window: 1,
			want: utc(2026, 4, 4, 21, 0), local: "2026-04-05 09:00 NZST"},
		{name: "Auckland before DST end", zone: "Pacific/Auckland", due: day(2026, 4, 6), window: 2,
			want: utc(2026, 4, 3, 20, 0), local: "2026-04-04 09:00 NZDT"},
		{name: "month end, not a leap year", zone: "Asia/Shanghai", due: day(2026, 3, 1), window: 1,
			want: utc(2026, 2, 28, 1, 0), local: "2026-02-28 09:00 CST"},
		{name: "leap day", zone: "Asia/Shanghai", due: day(2028, 3, 1), window: 1,
			want: utc(2028, 2, 29, 1, 0), local: "2028-02-29 09:00 CST"},
		{name: "30 days before a leap March", zone: "Asia/Shanghai", due: day(2028, 3, 1), window: 30,
			want: utc(2028, 1, 31, 1, 0), local: "2028-01-31 09:00 CST"},
		{name: "year end west of UTC", zone: "America/Los_Angeles", due: day(2027, 1, 1), window: 7,
			want: utc(2026, 12, 25, 17, 0), local: "2026-12-25 09:00 PST"},
		{name: "send time before quiet hours end moves to their end", zone: "Asia/Shanghai", due: day(2026, 3, 20),
			sendAt: 6*time.Hour + 30*time.Minute, want: utc(2026, 3, 20, 0, 0), local: "2026-03-20 08:00 CST"},
		{name: "evening send time moves to the next morning", zone: "Asia/Shanghai", due: day(2026, 3, 20),
			sendAt: 22 * time.Hour, want: utc(2026, 3, 21, 0, 0), local: "2026-03-21 08:00 CST"},
		{name: "midday quiet hours", zone: "Asia/Urumqi", due: day(2026, 3, 20), sendAt: 13 * time.Hour,
			quiet: &QuietHours{Start: 12 * time.Hour, End: 14 * time.Hour},
			want:  utc(2026, 3, 20, 8, 0), local: "2026-03-20 14:00 +06"},
		{name: "a wall time skipped by DST moves forward", zone: "America/Los_Angeles", due: day(2026, 3, 8),
			sendAt: 2*time.Hour + 30*time.Minute, quiet: &QuietHours{},
			want: utc(2026, 3, 8, 10, 30), local: "2026-03-08 03:30 PDT"},
		{name: "quiet end skipped by DST", zone: "America/Los_Angeles", due: day(2026, 3, 8),
			sendAt: time.Hour, quiet: &QuietHours{Start: 21 * time.Hour, End: 2*time.Hour + 30*time.Minute},
			want: utc(2026, 3, 8, 10, 30), local: "2026-03-08 03:30 PDT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := def
			if tc.sendAt != 0 {
				cfg.SendAt = tc.sendAt
			}
			if tc.quiet != nil {
				cfg.Quiet = *tc.quiet
			}
			loc := mustZone(t, tc.zone)
			got := cfg.SendTime(tc.due, tc.window, loc)
			if !got.Equal(tc.want) {
				t.Errorf("SendTime = %v (%v), want %v", got, got.In(loc).Format("2006-01-02 15:04 MST"), tc.want)
			}
			if l := got.In(loc).Format("2006-01-02 15:04 MST"); l != tc.local {
				t.Errorf("local = %s, want %s", l, tc.local)
			}
			if cfg.Quiet.Contains(got, loc) {
				t.Errorf("%v is inside quiet hours", got.In(loc))
			}
		})
	}
}

// TestQuietHours checks the default quiet period at its edges, across
// midnight and DST changes.
func TestQuietHours(t *testing.T) {
	q := DefaultConfig().Quiet
	tests := []struct {
		name   string
		zone   string
		at     time.Time
		inside bool
		after  time.Time
	}{
		{"evening start", "Asia/Shanghai", utc(2026, 3, 17, 13, 0), true, utc(2026, 3, 18, 0, 0)},
		{"just before start", "Asia/Shanghai", time.Date(2026, 3, 17, 12, 59, 59, 0, time.UTC), false, time.Date(2026, 3, 17, 12, 59, 59, 0, time.UTC)},
		{"late evening", "Asia/Shanghai", utc(2026, 3, 17, 13, 30), true, utc(2026, 3, 18, 0, 0)},
		{"after local midnight", "Asia/Shanghai", utc(2026, 3, 17, 17, 0), true, utc(2026, 3, 18, 0, 0)},
		{"one minute before the end", "Asia/Shanghai", utc(2026, 3, 17, 23, 59), true, utc(2026, 3, 18, 0, 0)},
		{"at the end", "Asia/Shanghai", utc(2026, 3, 18, 0, 0), false, utc(2026, 3, 18, 0, 0)},
		{"Urumqi evening", "Asia/Urumqi", utc(2026, 6, 1, 15, 0), true, utc(2026, 6, 2, 2, 0)},
		{"Los Angeles on the night DST ends", "America/Los_Angeles", utc(2026, 11, 1, 4, 30), true, utc(2026, 11, 1, 16, 0)},
		{"Auckland on the night DST starts", "Pacific/Auckland", utc(2026, 9, 26, 10, 0), true, utc(2026, 9, 26, 19, 0)},
		{"Auckland morning", "Pacific/Auckland", utc(2026, 9, 26, 20, 0), false, utc(2026, 9, 26, 20, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustZone(t, tc.zone)
			if got := q.Contains(tc.at, loc); got != tc.inside {
				t.Errorf("Contains(%v) = %v, want %v", tc.at.In(loc), got, tc.inside)
			}
			if got := q.After(tc.at, loc); !got.Equal(tc.after) {
				t.Errorf("After(%v) = %v, want %v", tc.at.In(loc), got.In(loc), tc.after.In(loc))
			}
		})
	}
}

// TestQuietHoursNeverInside checks, over random instants of two years in
// zones on both sides of UTC, that After leaves quiet hours within a day.
func TestQuietHoursNeverInside(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zonesUnderTest := []string{"Asia/Shanghai", "Asia/Urumqi", "America/Los_Angeles", "Pacific/Auckland",
		"Europe/London", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"}
	quiets := []QuietHours{DefaultConfig().Quiet, {Start: 22 * time.Hour, End: 7 * time.Hour},
		{Start: 12 * time.Hour, End: 14 * time.Hour}, {Start: 0, End: 2*time.Hour + 30*time.Minute}}
	start := utc(2026, 1, 1, 0, 0)
	for i := 0; i < 20000; i++ {
		loc := mustZone(t, zonesUnderTest[r.IntN(len(zonesUnderTest))])
		q := quiets[r.IntN(len(quiets))]
		at := start.Add(time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour))))
		got := q.After(at, loc)
		if q.Contains(got, loc) || got.Before(at) || got.Sub(at) > 24*time.Hour {
			t.Fatalf("%v quiet %v: After(%v) = %v", loc, q, at.In(loc), got.In(loc))
		}
	}
}
