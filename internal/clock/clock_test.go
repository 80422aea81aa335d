package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 2, 28, 23, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f := NewFake(start)
	if got := f.Now(); !got.Equal(start) || got.Location() != time.UTC {
		t.Fatalf("Now() = %v, want %v in UTC", got, start)
	}
	f.Advance(2 * time.Hour)
	if got, want := f.Now(), start.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("after Advance: %v, want %v", got, want)
	}
	f.Set(start)
	if got := f.Now(); !got.Equal(start) {
		t.Fatalf("after Set: %v, want %v", got, start)
	}
	if System.Now(System{}).Location() != time.UTC {
		t.Fatal("System clock is not UTC")
	}
}
