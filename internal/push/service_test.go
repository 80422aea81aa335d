package push

import (
	"context"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// TestRunLoop runs the server loop until its context ends: it plans and
// sends on the Service's clock.
func TestRunLoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, DefaultConfig(), 0)
		r.f.agentDevice(r.agent.ID, "tok", "Asia/Shanghai", "zh-CN")
		r.fake.Set(t0)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.svc.Run(ctx, 10*time.Millisecond) }()
		deadline := time.Now().Add(10 * time.Second)
		for len(r.srv.Accepted()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		if n := len(r.srv.Accepted()); n != 1 {
			t.Errorf("FCM accepted %d pushes, want 1", n)
		}
		if err := r.svc.Run(context.Background(), 0); err == nil {
			t.Error("Run accepted a zero interval")
		}
	})
}

// TestPruneDevices disables devices unseen for DeviceMaxIdle.
func TestPruneDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFx(t, db)
		a := f.agent("Asia/Shanghai", "zh-CN")
		old := f.agentDevice(a.ID, "old", "Asia/Shanghai", "zh-CN")
		fresh := f.agentDevice(a.ID, "fresh", "Asia/Shanghai", "zh-CN")
		now := utc(2026, 12, 1, 0, 0)
		if err := db.Client.Device.UpdateOneID(old.ID).SetLastSeenAt(now.AddDate(0, 0, -271)).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Client.Device.UpdateOneID(fresh.ID).SetLastSeenAt(now.AddDate(0, 0, -10)).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		svc, err := New(testDeps(db, clock.NewFake(now), nil), DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := svc.PruneDevices(context.Background(), now); err != nil || n != 1 {
			t.Fatalf("PruneDevices = %d, %v; want 1", n, err)
		}
		ds, err := db.Client.Device.Query().Where(device.Enabled(false)).All(f.ctx)
		if err != nil || len(ds) != 1 || ds[0].ID != old.ID || ds[0].DisabledReason != "stale" {
			t.Errorf("disabled devices = %v, %v", ds, err)
		}
	})
}

// TestConfigValidate rejects settings that cannot work.
func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"negative window":      func(c *Config) { c.Windows["premium"] = []int{-1} },
		"no windows":           func(c *Config) { c.Windows["renewal"] = nil },
		"send timeout too big": func(c *Config) { c.SendTimeout = c.LeaseDuration },
		"batch over 500":       func(c *Config) { c.BatchSize = 501 },
		"unknown zone":         func(c *Config) { c.DefaultTimeZone = "Mars/Olympus" },
		"quiet hours":          func(c *Config) { c.Quiet.End = 25 * time.Hour },
		"send at":              func(c *Config) { c.SendAt = -time.Hour },
	} {
		c := DefaultConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
