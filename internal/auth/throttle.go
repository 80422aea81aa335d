package auth

import (
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/internal/clock"
)

// Throttle counts failures per key in fixed windows and refuses a key
// that reached its limit until its window ends. It is in memory, per
// replica: behind N replicas an attacker gets at most N times the limit,
// still far too few guesses against argon2id-hashed passwords.
type Throttle struct {
	clock  clock.Clock
	limit  int
	window time.Duration
	mu     sync.Mutex
	byKey  map[string]*throttleEntry
	swept  time.Time
}

type throttleEntry struct {
	count int
	start time.Time
}

// NewThrottle allows limit failures per key per window.
func NewThrottle(clk clock.Clock, limit int, window time.Duration) *Throttle {
	return &Throttle{clock: clk, limit: limit, window: window, byKey: map[string]*throttleEntry{}}
}

// Blocked reports whether key has used up its failures, and for how long.
func (t *Throttle) Blocked(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	e, ok := t.byKey[key]
	if !ok || now.Sub(e.start) >= t.window {
		return false, 0
	}
	if e.count >= t.limit {
		return true, e.start.Add(t.window).Sub(now)
	}
	return false, 0
}

// Fail records a failure of key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	t.sweep(now)
	e, ok := t.byKey[key]
	if !ok || now.Sub(e.start) >= t.window {
		t.byKey[key] = &throttleEntry{count: 1, start: now}
		return
	}
	e.count++
}

// Reset forgets key's failures (after a success).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	delete(t.byKey, key)
	t.mu.Unlock()
}

// sweep drops expired entries now and then, so the map stays small.
func (t *Throttle) sweep(now time.Time) {
	if now.Sub(t.swept) < t.window {
		return
	}
	t.swept = now
	for k, e := range t.byKey {
		if now.Sub(e.start) >= t.window {
			delete(t.byKey, k)
		}
	}
}
