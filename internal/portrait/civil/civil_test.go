package civil_test

import (
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/internal/portrait/civil"
)

func TestOfUsesTheZone(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 19, 17, 30, 0, 0, time.UTC) // 01:30 on the 20th in Shanghai
	if got, want := civil.Of(at, sh), civil.New(2026, 3, 20); got != want {
		t.Errorf("Shanghai day = %v, want %v", got, want)
	}
	if got, want := civil.Of(at, time.UTC), civil.New(2026, 3, 19); got != want {
		t.Errorf("UTC day = %v, want %v", got, want)
	}
	if got := civil.New(2026, 3, 20).Midnight(sh); !got.Equal(time.Date(2026, 3, 19, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("Shanghai midnight = %v", got)
	}
}

func TestAnniversaries(t *testing.T) {
	d := civil.New
	tests := []struct {
		name              string
		date, today       civil.Date
		wantNext          civil.Date
		wantYears         int
		wantAddYears      civil.Date
		addYears          int
		wantDaysUntilNext int
	}{
		{"leap birthday in a common year falls on 28 Feb", d(2000, 2, 29), d(2026, 2, 1), d(2026, 2, 28), 25, d(2001, 2, 28), 1, 27},
		{"leap birthday on 28 Feb counts", d(2000, 2, 29), d(2026, 2, 28), d(2026, 2, 28), 26, d(2004, 2, 29), 4, 0},
		{"leap birthday in a leap year", d(2000, 2, 29), d(2028, 2, 29), d(2028, 2, 29), 28, d(2028, 2, 29), 28, 0},
		{"the day after passes to next year", d(1990, 5, 10), d(2026, 5, 11), d(2027, 5, 10), 36, d(1991, 5, 10), 1, 364},
		{"the day before", d(1990, 5, 10), d(2026, 5, 9), d(2026, 5, 10), 35, d(1990, 5, 10), 0, 1},
		{"month end", d(2020, 1, 31), d(2026, 1, 31), d(2026, 1, 31), 6, d(2021, 1, 31), 1, 0},
		{"year end rolls over", d(2020, 12, 31), d(2026, 1, 1), d(2026, 12, 31), 5, d(2025, 12, 31), 5, 364},
		{"future date has no years", d(2027, 1, 1), d(2026, 1, 1), d(2027, 1, 1), 0, d(2028, 1, 1), 1, 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.date.NextAnniversary(tt.today); got != tt.wantNext {
				t.Errorf("NextAnniversary = %v, want %v", got, tt.wantNext)
			}
			if got := tt.date.YearsSince(tt.today); got != tt.wantYears {
				t.Errorf("YearsSince = %d, want %d", got, tt.wantYears)
			}
			if got := tt.date.AddYears(tt.addYears); got != tt.wantAddYears {
				t.Errorf("AddYears(%d) = %v, want %v", tt.addYears, got, tt.wantAddYears)
			}
			if got := tt.today.DaysUntil(tt.date.NextAnniversary(tt.today)); got != tt.wantDaysUntilNext {
				t.Errorf("days until next = %d, want %d", got, tt.wantDaysUntilNext)
			}
		})
	}
}

func TestStringAndStored(t *testing.T) {
	stored := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	if got := civil.FromStored(stored).String(); got != "2024-02-29" {
		t.Errorf("String = %q", got)
	}
	if got := civil.FromStored(stored).AddDays(1).String(); got != "2024-03-01" {
		t.Errorf("AddDays = %q", got)
	}
}
