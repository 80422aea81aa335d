package push

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/domain"
	"github.com/agentdesk/agentdesk/internal/push/fcmtest"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/store/storetest"
)

// The simulation's size: small by default so CI stays fast (smaller still
// under the race detector); run it long with e.g. `go test ./internal/push
// -run TestSimulation -sim.policies=3000 -sim.days=365 -timeout=3h` (or
// AGENTDESK_PUSH_SIM_POLICIES/_DAYS/_SEED).
var (
	simPolicies = flag.Int("sim.policies", envInt("AGENTDESK_PUSH_SIM_POLICIES", pick(30, 120)), "policies in the reminder simulation")
	simDays     = flag.Int("sim.days", envInt("AGENTDESK_PUSH_SIM_DAYS", pick(18, 45)), "simulated days")
	simSeed     = flag.Uint64("sim.seed", uint64(envInt("AGENTDESK_PUSH_SIM_SEED", 7)), "simulation seed")
)

// pick returns race under the race detector, else plain.
func pick(race, plain int) int {
	if raceDetector {
		return race
	}
	return plain
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// simZones are the recipients' zones, on both sides of UTC (Chatham is
// UTC+12:45/+13:45, Los Angeles and São Paulo west of UTC).
var simZones = []string{"Asia/Shanghai", "Asia/Urumqi", "America/Los_Angeles", "Pacific/Auckland",
	"Europe/London", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"}

// assignment is a due date a policy was given, and when.
type assignment struct {
	kind reminder.DueKind
	date time.Time
	at   time.Time
}

// sim is the simulated world and its record of what it did.
type sim struct {
	t      *testing.T
	f      *fx
	db     *store.DB
	fake   *clock.Fake
	srv    *fcmtest.Server
	rnd    *rand.Rand
	cfg    Config
	agents []*ent.Agent
	tz     map[string]*time.Location // device token → zone
	// untouched policies changed only by automatic payment after the due
	// date; their expected reminders are computed independently.
	untouched map[uuid.UUID]bool
	monthly   map[uuid.UUID]bool
	assigned  map[uuid.UUID][]assignment
	policies  []uuid.UUID
	crashes   atomic.Int64
	// stops record, per policy, changes after which some of its reminders
	// must not go out.
	stops map[uuid.UUID][]stop
}

// stop says: from at on (until until, when set), no push of the policy's
// reminders that match.
type stop struct {
	at      time.Time
	why     string
	matches func(r *ent.Reminder) bool
	until   time.Time
	agent   uuid.UUID // reassigned: the agent the customer left
}

// TestSimulation runs a book through simulated time with an injected
// clock: the scheduler and worker every simulated hour, random crashes
// between claim and send, date changes (payments, lapses, reassignments,
// consent withdrawn), FCM errors, zones on both sides of UTC; on
// PostgreSQL two replicas at once. At the end every due reminder was
// delivered exactly once or recorded with a reason, none inside quiet
// hours.
func TestSimulation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		started := time.Now()
		replicas := 1
		if db.Dialect == dialect.Postgres {
			replicas = 2
		}
		s := newSim(t, db)
		services := make([]*Service, replicas)
		for i := range services {
			sender, err := NewFCMSender(context.Background(), FCMConfig{ProjectID: "sim", Endpoint: s.srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.cfg
			cfg.WorkerID = fmt.Sprintf("replica%d", i)
			if services[i], err = New(testDeps(db, s.fake, sender), cfg); err != nil {
				t.Fatal(err)
			}
		}
		start := s.fake.Now()
		end := start.AddDate(0, 0, *simDays)
		flush := end.AddDate(0, 0, 2)
		eventHour := 0
		for now := start; now.Before(flush); now = now.Add(time.Hour) {
			s.fake.Set(now)
			if now.Hour() == 0 {
				s.autoPay(now)
				// The day's other changes come at some hour between full
				// plans, so incremental plans must pick them up.
				eventHour = 1 + s.rnd.IntN(23)
			}
			if now.Hour() == eventHour && now.Before(end) {
				s.events(now)
			}
			var wg sync.WaitGroup
			for i, svc := range services {
				crash := s.rnd.IntN(10) == 0
				wg.Go(func() { s.tick(svc, now, crash, i) })
			}
			wg.Wait()
		}
		s.verify(end)
		t.Logf("%s: %d policies, %d days, %d replicas, %d crashes, %d FCM requests: %v",
			db.Dialect, len(s.policies), *simDays, replicas, s.crashes.Load(), len(s.srv.Requests()), time.Since(started))
	})
}

func newSim(t *testing.T, db *store.DB) *sim {
	start := utc(2026, 1, 1, 0, 0)
	s := &sim{t: t, f: newFx(t, db), db: db, fake: clock.NewFake(start), rnd: rand.New(rand.NewPCG(*simSeed, 1)),
		cfg: DefaultConfig(), tz: map[string]*time.Location{}, untouched: map[uuid.UUID]bool{},
		monthly: map[uuid.UUID]bool{}, assigned: map[uuid.UUID][]assignment{}, stops: map[uuid.UUID][]stop{}}
	s.srv = fcmtest.New(fcmtest.Options{Clock: s.fake, Decide: s.decide})
	t.Cleanup(s.srv.Close)
	for i, z := range simZones {
		a := s.f.agent(z, []string{"zh-CN", "en"}[i%2])
		s.agents = append(s.agents, a)
		if i == len(simZones)-1 {
			continue // one agent has no device: inbox only
		}
		s.device(func(c *ent.DeviceCreate) { c.SetAgentID(a.ID) }, fmt.Sprintf("agent-%d-a", i), z)
		if i%3 == 0 {
			s.device(func(c *ent.DeviceCreate) { c.SetAgentID(a.ID) }, fmt.Sprintf("dead-agent-%d", i), z)
		}
	}
	days := *simDays
	for i := 0; i < *simPolicies; i++ {
		a := s.agents[s.rnd.IntN(len(s.agents))]
		consent := s.rnd.IntN(10) < 3
		c := s.f.customer(&a.ID, fmt.Sprintf("客户%d", i), consent)
		if consent {
			z := simZones[s.rnd.IntN(len(simZones))]
			s.device(func(dc *ent.DeviceCreate) { dc.SetCustomerID(c.ID) }, fmt.Sprintf("cust-%d", i), z)
		}
		premium := start.AddDate(0, 0, 1+s.rnd.IntN(days+10))
		var renewal *time.Time
		if s.rnd.IntN(2) == 0 {
			renewal = ptr(start.AddDate(0, 0, 1+s.rnd.IntN(days+10)))
		}
		p := s.f.policy(c.ID, &premium, renewal)
		s.policies = append(s.policies, p.ID)
		s.untouched[p.ID] = true
		s.monthly[p.ID] = s.rnd.IntN(10) < 3
		s.assigned[p.ID] = append(s.assigned[p.ID], assignment{reminder.DueKindPremium, premium, start})
		if renewal != nil {
			s.assigned[p.ID] = append(s.assigned[p.ID], assignment{reminder.DueKindRenewal, *renewal, start})
		}
	}
	return s
}

func (s *sim) device(owner func(*ent.DeviceCreate), token, zone string) {
	s.f.tx(func(ctx context.Context, tx *ent.Tx) error {
		c := tx.Device.Create().SetToken(token).SetPlatform(device.PlatformAndroid).SetTimeZone(zone)
		owner(c)
		return c.Exec(ctx)
	})
	s.tz[token] = mustZone(s.t, zone)
}

// decide answers FCM requests: dead tokens are unregistered; the rest
// fail transiently now and then (deterministic in token and count).
func (s *sim) decide(token string, n int) fcmtest.Outcome {
	if len(token) > 4 && token[:4] == "dead" {
		return fcmtest.Outcome{Kind: fcmtest.Unregistered}
	}
	h := uint64(n)*2654435761 + uint64(len(token))*97
	for _, c := range token {
		h = h*31 + uint64(c)
	}
	switch h % 50 {
	case 0, 1, 2:
		return fcmtest.Outcome{Kind: fcmtest.Unavailable, RetryAfter: time.Duration(60+h%540) * time.Second}
	case 3, 4:
		return fcmtest.Outcome{Kind: fcmtest.TooManyRequests, RetryAfter: time.Duration(30+h%90) * time.Second}
	case 5:
		return fcmtest.Outcome{Kind: fcmtest.Internal}
	}
	return fcmtest.Outcome{Kind: fcmtest.Success}
}

// tick is one replica's hour: plan, maybe crash holding a claimed batch,
// deliver.
func (s *sim) tick(svc *Service, now time.Time, crash bool, replica int) {
	ctx := s.f.ctx
	if _, err := svc.Scheduler.Plan(ctx, now); err != nil {
		s.t.Errorf("replica %d: plan at %v: %v", replica, now, err)
		return
	}
	if crash {
		rows, err := svc.Worker.claim(ctx, now, fmt.Sprintf("crashed-%d-%d", replica, now.Unix()), 5)
		if err != nil {
			s.t.Errorf("replica %d: claim: %v", replica, err)
		}
		if len(rows) > 0 {
			s.crashes.Add(1)
		}
	}
	if _, err := svc.Worker.Drain(ctx, now); err != nil {
		s.t.Errorf("replica %d: drain at %v: %v", replica, now, err)
	}
}

// autoPay pays premiums two days after their due date (the next one falls
// due a month or a year later), as the insurer's system would report.
func (s *sim) autoPay(now time.Time) {
	ps, err := s.db.Client.InsurancePolicy.Query().
		Where(insurancepolicy.StatusEQ(insurancepolicy.StatusActive),
			insurancepolicy.NextPremiumDueDateLT(dateOf(now).AddDate(0, 0, -1))).All(s.f.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, p := range ps {
		next := s.nextDue(p.ID, *p.NextPremiumDueDate)
		s.setPremium(p.ID, next, now)
	}
}

func (s *sim) nextDue(id uuid.UUID, d time.Time) time.Time {
	if s.monthly[id] {
		return dateOf(d).AddDate(0, 1, 0)
	}
	return dateOf(d).AddDate(1, 0, 0)
}

func (s *sim) setPremium(id uuid.UUID, d, now time.Time) {
	s.f.setPolicy(id, func(u *ent.InsurancePolicyUpdateOne) { u.SetNextPremiumDueDate(d) })
	s.assigned[id] = append(s.assigned[id], assignment{reminder.DueKindPremium, d, now})
}

// events changes a few policies a day: early payments, lapses,
// reassignments, consent withdrawn. Changed policies leave the
// independent oracle (the invariants still cover them).
func (s *sim) events(now time.Time) {
	// About half the policies change once over the run; the rest stay
	// with the oracle.
	rate := float64(len(s.policies)) * 0.6 / float64(*simDays)
	n := int(rate)
	if s.rnd.Float64() < rate-float64(n) {
		n++
	}
	for range n {
		id := s.policies[s.rnd.IntN(len(s.policies))]
		p, err := s.db.Client.InsurancePolicy.Get(s.f.ctx, id)
		if err != nil {
			s.t.Fatal(err)
		}
		if p.Status != insurancepolicy.StatusActive {
			continue
		}
		delete(s.untouched, id)
		cu, err := s.db.Client.Customer.Get(s.f.ctx, p.CustomerID)
		if err != nil {
			s.t.Fatal(err)
		}
		switch k := s.rnd.IntN(10); {
		case k < 5: // paid early: the next date moves
			old := dateOf(*p.NextPremiumDueDate)
			s.setPremium(id, s.nextDue(id, old), now)
			s.stops[id] = append(s.stops[id], stop{at: now, why: "paid", matches: func(r *ent.Reminder) bool {
				return r.DueKind == reminder.DueKindPremium && dateOf(r.DueDate).Equal(old)
			}})
		case k < 6:
			s.f.setPolicy(id, func(u *ent.InsurancePolicyUpdateOne) { u.SetStatus(insurancepolicy.StatusLapsed) })
			s.stops[id] = append(s.stops[id], stop{at: now, why: "lapsed", matches: func(*ent.Reminder) bool { return true }})
		case k < 9:
			a := s.agents[s.rnd.IntN(len(s.agents))]
			if a.ID == *cu.AgentID {
				continue
			}
			s.f.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.UpdateOneID(p.CustomerID).SetAgentID(a.ID).Exec(ctx)
			})
			old := *cu.AgentID
			for i, st := range s.stops[id] {
				if st.agent == a.ID && st.until.IsZero() {
					s.stops[id][i].until = now // back with an earlier agent
				}
			}
			s.stops[id] = append(s.stops[id], stop{at: now, why: "reassigned", agent: old,
				matches: func(r *ent.Reminder) bool { return r.RecipientID == old }})
		default:
			s.f.tx(func(ctx context.Context, tx *ent.Tx) error {
				return tx.Customer.Update().Where(customer.ID(p.CustomerID)).SetConsent(domain.Consent{}).Exec(ctx)
			})
			s.stops[id] = append(s.stops[id], stop{at: now, why: "consent withdrawn", matches: func(r *ent.Reminder) bool {
				return r.RecipientKind == reminder.RecipientKindCustomer
			}})
		}
	}
}
