package push

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Scheduler plans reminders into the outbox and cancels those that no
// longer hold. Any number of Schedulers may run at once, on any replica:
// every write is idempotent or conditional.
type Scheduler struct {
	db    *store.DB
	cfg   Config
	log   *slog.Logger
	m     *metrics
	zones *zones

	mu     sync.Mutex // one Plan at a time per Scheduler
	fullAt time.Time  // the last full plan's time
	seq    int64      // the change log read up to here
	// recipAt is the time up to which the recipients' records (agents,
	// customer devices) were read.
	recipAt time.Time
}

// NewScheduler returns a Scheduler; it checks cfg.
func NewScheduler(d Deps, cfg Config) (*Scheduler, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("push config: %w", err)
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	z, err := newZones(cfg.DefaultTimeZone)
	if err != nil {
		return nil, err
	}
	return &Scheduler{db: d.DB, cfg: cfg, log: d.logger(), m: m, zones: z}, nil
}

// PlanStats counts what one Plan did.
type PlanStats struct {
	Full        bool // a full plan (otherwise incremental)
	Scheduled   int  // rows inserted as pending
	Skipped     int  // rows inserted as skipped: the window had passed beyond the grace
	Revived     int  // cancelled rows that hold again (a date or recipient changed back)
	Rescheduled int  // pending rows whose send time moved (the recipient's zone changed)
	Cancelled   int  // pending rows that no longer hold
}

// Plan brings the outbox in line with the policies as of now.
//
// A full plan does two things. For every active or grace policy with a
// premium due date or a renewal date near enough that its earliest window
// begins within two days, it inserts one row per window and recipient (the
// customer's agent; the customer too, with push consent and a device) at
// the window's send time in the recipient's zone; inserts are INSERT … ON
// CONFLICT DO NOTHING on the unique key, so concurrent and repeated Plans
// agree. And it cancels every pending row that no longer holds: the policy
// lapsed or was terminated, its date for the row's due kind moved (a paid
// premium, a renewal), the customer's agent changed (the new agent's rows
// are planned), the agent was disabled, or a customer withdrew push
// consent or has no device left. Rows being sent and rows already sent are
// never touched.
//
// A full plan runs on a Scheduler's first Plan, on the first Plan of each
// UTC day (dates enter the horizon daily) and at least every
// Config.FullPlanEvery. In between, Plan is incremental: it reads the
// commit-ordered change log from where it left off and plans just the
// policies of customers whose policies or customer records changed (paid,
// renewed, lapsed, reassigned, consent), which costs next to nothing when
// nothing changed. Changes outside the change log (an agent's time zone or
// disabled flag, a customer's new device) wait for the next full plan; the
// Worker re-checks every row against the current records before sending.
//
// Back-fill rule: a window whose send time is more than
// Config.BackfillGrace before now when the row is first planned (a policy
// imported days before its due date, a date moved close) is inserted as
// skipped with reason window_passed and never sent; a window within the
// grace is sent at once, outside quiet hours. A row cancelled earlier
// whose key holds again (a date moved back, a customer returned to the
// agent) is revived under the same rule.
func (s *Scheduler) Plan(ctx context.Context, now time.Time) (PlanStats, error) {
	ctx = auth.SystemContext(ctx)
	now = stamp(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		st  PlanStats
		err error
	)
	if s.fullAt.IsZero() || now.Before(s.fullAt) || !dateOf(now).Equal(dateOf(s.fullAt)) ||
		now.Sub(s.fullAt) >= s.cfg.FullPlanEvery {
		err = s.full(ctx, now, &st)
	} else {
		err = s.incremental(ctx, now, &st)
	}
	if err != nil {
		return st, fmt.Errorf("plan reminders: %w", err)
	}
	if st.Scheduled+st.Skipped+st.Revived+st.Rescheduled+st.Cancelled > 0 {
		s.log.InfoContext(ctx, "reminders planned", "at", now, "full", st.Full, "scheduled", st.Scheduled,
			"skipped", st.Skipped, "revived", st.Revived, "rescheduled", st.Rescheduled, "cancelled", st.Cancelled)
	}
	return st, nil
}

// full plans every policy due soon and sweeps every pending row.
func (s *Scheduler) full(ctx context.Context, now time.Time, st *PlanStats) error {
	st.Full = true
	// Changes committed from here on are read again by the next
	// incremental plan; reading one twice does no harm.
	seq, err := s.lastChange(ctx)
	if err != nil {
		return err
	}
	visited := map[uuid.UUID]bool{}
	if err := s.plan(ctx, now, st, visited); err != nil {
		return err
	}
	if err := s.sweep(ctx, now, st, visited); err != nil {
		return err
	}
	s.fullAt, s.seq, s.recipAt = now, seq, now
	return nil
}

// sweep cancels the pending rows that no longer hold, but for those plan
// checked itself (visited policies' rows within the horizon).
func (s *Scheduler) sweep(ctx context.Context, now time.Time, st *PlanStats, visited map[uuid.UUID]bool) error {
	c := s.db.Client
	lo, hi := s.horizon(now)
	checked := func(r *ent.Reminder) bool {
		return visited[r.PolicyID] && !r.DueDate.Before(lo) && !r.DueDate.After(hi)
	}
	after := uuid.Nil
	for {
		rows, err := c.Reminder.Query().
			Where(reminder.StatusEQ(reminder.StatusPending), reminder.IDGT(after)).
			Order(ent.Asc(reminder.FieldID)).Limit(chunk).
			Select(slices.Concat(keyFields, []string{reminder.FieldStatus})...).All(ctx)
		if err != nil {
			return fmt.Errorf("list pending: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1].ID
		var (
			pids []uuid.UUID
			left []*ent.Reminder
		)
		for _, r := range rows {
			if !checked(r) {
				pids = append(pids, r.PolicyID)
				left = append(left, r)
			}
		}
		if len(pids) > 0 {
			policies, err := loadPolicies(ctx, c, uniq(pids))
			if err != nil {
				return err
			}
			states, err := loadStates(ctx, c, policies)
			if err != nil {
				return err
			}
			if err := s.cancelInvalid(ctx, now, left, states, st); err != nil {
				return err
			}
		}
		if len(rows) < chunk {
			return nil
		}
	}
}

// cancelInvalid cancels the pending rows among rows that check rejects.
func (s *Scheduler) cancelInvalid(ctx context.Context, now time.Time, rows []*ent.Reminder,
	states map[uuid.UUID]*policyState, st *PlanStats) error {
	byReason := map[string][]uuid.UUID{}
	for _, r := range rows {
		if r.Status != reminder.StatusPending {
			continue
		}
		if reason := s.cfg.check(r, states[r.PolicyID]); reason != "" {
			byReason[reason] = append(byReason[reason], r.ID)
		}
	}
	for reason, ids := range byReason {
		n, err := s.db.Client.Reminder.Update().
			Where(reminder.IDIn(ids...), reminder.StatusEQ(reminder.StatusPending)).
			SetStatus(reminder.StatusCancelled).SetLastError(reason).ClearNextAttemptAt().
			SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return fmt.Errorf("cancel reminders: %w", err)
		}
		st.Cancelled += n
		s.m.cancelled.WithLabelValues(reason).Add(float64(n))
	}
	return nil
}

// keyFields are the columns that planning reads of a row: its key, and
// what check needs. Reading no more keeps the hourly scans cheap.
var keyFields = []string{reminder.FieldID, reminder.FieldPolicyID, reminder.FieldCustomerID,
	reminder.FieldDueKind, reminder.FieldDueDate, reminder.FieldWindowDays,
	reminder.FieldRecipientKind, reminder.FieldRecipientID}

// planned is one row the policies call for.
type planned struct {
	key        Key
	customerID uuid.UUID
	at         time.Time
	skip       bool // the window passed beyond the grace
}

// horizon returns the due dates that planning considers at now.
func (s *Scheduler) horizon(now time.Time) (lo, hi time.Time) {
	today := dateOf(now)
	graceDays := int(math.Ceil(s.cfg.BackfillGrace.Hours() / 24))
	return today.AddDate(0, 0, -(graceDays + 2)), today.AddDate(0, 0, s.cfg.maxWindow()+2)
}

// plan inserts, revives, reschedules and cancels rows of the policies due
// soon, and marks them visited.
func (s *Scheduler) plan(ctx context.Context, now time.Time, st *PlanStats, visited map[uuid.UUID]bool) error {
	c := s.db.Client
	lo, hi := s.horizon(now)
	after := uuid.Nil
	for {
		policies, err := c.InsurancePolicy.Query().
			Where(insurancepolicy.StatusIn(insurancepolicy.StatusActive, insurancepolicy.StatusGrace),
				insurancepolicy.Or(
					insurancepolicy.And(insurancepolicy.NextPremiumDueDateGTE(lo), insurancepolicy.NextPremiumDueDateLTE(hi)),
					insurancepolicy.And(insurancepolicy.RenewalDateGTE(lo), insurancepolicy.RenewalDateLTE(hi))),
				insurancepolicy.IDGT(after)).
			Order(ent.Asc(insurancepolicy.FieldID)).Limit(chunk).All(ctx)
		if err != nil {
			return fmt.Errorf("list due policies: %w", err)
		}
		if len(policies) == 0 {
			return nil
		}
		after = policies[len(policies)-1].ID
		if err := s.planBatch(ctx, now, lo, hi, policies, st); err != nil {
			return err
		}
		for _, p := range policies {
			visited[p.ID] = true
		}
		if len(policies) < chunk {
			return nil
		}
	}
}

func (s *Scheduler) planBatch(ctx context.Context, now, lo, hi time.Time, policies []*ent.InsurancePolicy, st *PlanStats) error {
	c := s.db.Client
	states, err := loadStates(ctx, c, policies)
	if err != nil {
		return err
	}
	var want []planned
	ids := make([]uuid.UUID, len(policies))
	for i, p := range policies {
		ids[i] = p.ID
		want = append(want, s.desired(states[p.ID], now, lo, hi)...)
	}
	rows, err := c.Reminder.Query().
		Where(reminder.PolicyIDIn(ids...), reminder.DueDateGTE(lo), reminder.DueDateLTE(hi)).
		Select(slices.Concat(keyFields, []string{reminder.FieldStatus, reminder.FieldAttempts, reminder.FieldScheduledFor})...).All(ctx)
	if err != nil {
		return fmt.Errorf("list planned reminders: %w", err)
	}
	if err := s.cancelInvalid(ctx, now, rows, states, st); err != nil {
		return err
	}
	have := make(map[Key]*ent.Reminder, len(rows))
	for _, r := range rows {
		have[keyOf(r)] = r
	}
	var (
		creates []*ent.ReminderCreate
		newIDs  []uuid.UUID
	)
	for _, p := range want {
		r, ok := have[p.key]
		switch {
		case !ok:
			id := uuid.Must(uuid.NewV7())
			newIDs = append(newIDs, id)
			creates = append(creates, s.create(c, id, p, now))
		case r.Status == reminder.StatusCancelled:
			if err := s.revive(ctx, c, r, p, now, st); err != nil {
				return err
			}
		case r.Status == reminder.StatusPending && r.Attempts == 0 && !r.ScheduledFor.Equal(p.at) && !p.skip:
			n, err := c.Reminder.Update().
				Where(reminder.ID(r.ID), reminder.StatusEQ(reminder.StatusPending), reminder.AttemptsEQ(0)).
				SetScheduledFor(p.at).SetNextAttemptAt(p.at).SetUpdatedAt(now).Save(ctx)
			if err != nil {
				return fmt.Errorf("reschedule reminder: %w", err)
			}
			st.Rescheduled += n
		}
	}
	return s.insert(ctx, c, creates, newIDs, st)
}

// desired lists the rows a policy calls for with due dates in [lo, hi].
func (s *Scheduler) desired(st *policyState, now, lo, hi time.Time) []planned {
	if st == nil || st.customer == nil ||
		(st.policy.Status != insurancepolicy.StatusActive && st.policy.Status != insurancepolicy.StatusGrace) {
		return nil
	}
	type recipient struct {
		kind reminder.RecipientKind
		id   uuid.UUID
		loc  *time.Location
	}
	var rs []recipient
	if st.agent != nil && !st.agent.Disabled {
		rs = append(rs, recipient{reminder.RecipientKindAgent, st.agent.ID, s.zones.get(st.agent.TimeZone)})
	}
	if st.customer.Consent.Push && st.custDev != nil {
		rs = append(rs, recipient{reminder.RecipientKindCustomer, st.customer.ID, s.zones.get(st.custDev.TimeZone)})
	}
	p := st.policy
	cutoff := now.Add(-s.cfg.BackfillGrace)
	var out []planned
	for _, kind := range dueKinds {
		d := dueDate(p, kind)
		if d == nil {
			continue
		}
		due := dateOf(*d)
		if due.Before(lo) || due.After(hi) {
			continue
		}
		for _, w := range s.cfg.windowsFor(p.Line, kind) {
			for _, r := range rs {
				at := stamp(s.cfg.SendTime(due, w, r.loc))
				out = append(out, planned{
					key: Key{PolicyID: p.ID, DueKind: kind, DueDate: due, WindowDays: w,
						RecipientKind: r.kind, RecipientID: r.id},
					customerID: p.CustomerID, at: at, skip: at.Before(cutoff),
				})
			}
		}
	}
	return out
}

const reasonWindowPassed = "window_passed"

func (s *Scheduler) create(c *ent.Client, id uuid.UUID, p planned, now time.Time) *ent.ReminderCreate {
	cr := c.Reminder.Create().SetID(id).
		SetPolicyID(p.key.PolicyID).SetCustomerID(p.customerID).
		SetRecipientKind(p.key.RecipientKind).SetRecipientID(p.key.RecipientID).
		SetDueKind(p.key.DueKind).SetDueDate(p.key.DueDate).SetWindowDays(p.key.WindowDays).
		SetScheduledFor(p.at).SetCreatedAt(now).SetUpdatedAt(now)
	if p.skip {
		return cr.SetStatus(reminder.StatusSkipped).SetLastError(reasonWindowPassed)
	}
	return cr.SetNextAttemptAt(p.at)
}

// insert writes new rows; a row another Scheduler inserted first is left
// as it is. It counts what this call really inserted.
func (s *Scheduler) insert(ctx context.Context, c *ent.Client, creates []*ent.ReminderCreate, ids []uuid.UUID, st *PlanStats) error {
	if len(creates) == 0 {
		return nil
	}
	// 20 columns a row: 500 rows stay under PostgreSQL's 65535 parameters.
	for i := 0; i < len(creates); i += chunk {
		part := creates[i:min(i+chunk, len(creates))]
		err := c.Reminder.CreateBulk(part...).
			OnConflictColumns(reminder.FieldPolicyID, reminder.FieldDueKind, reminder.FieldDueDate,
				reminder.FieldWindowDays, reminder.FieldRecipientKind, reminder.FieldRecipientID).
			DoNothing().Exec(ctx)
		if err != nil {
			return fmt.Errorf("insert reminders: %w", err)
		}
	}
	for i := 0; i < len(ids); i += chunk {
		rows, err := c.Reminder.Query().Where(reminder.IDIn(ids[i:min(i+chunk, len(ids))]...)).
			Select(reminder.FieldStatus, reminder.FieldDueKind, reminder.FieldRecipientKind).All(ctx)
		if err != nil {
			return fmt.Errorf("count inserted reminders: %w", err)
		}
		for _, r := range rows {
			if r.Status == reminder.StatusSkipped {
				st.Skipped++
				s.m.skipped.Inc()
				continue
			}
			st.Scheduled++
			s.m.scheduled.WithLabelValues(r.DueKind.String(), r.RecipientKind.String()).Inc()
		}
	}
	return nil
}

// revive brings a cancelled row whose key holds again back to pending (or
// skipped, when its window passed beyond the grace).
func (s *Scheduler) revive(ctx context.Context, c *ent.Client, r *ent.Reminder, p planned, now time.Time, st *PlanStats) error {
	u := c.Reminder.Update().
		Where(reminder.ID(r.ID), reminder.StatusEQ(reminder.StatusCancelled)).
		SetScheduledFor(p.at).SetAttempts(0).SetLeaseOwner("").ClearLeaseUntil().SetUpdatedAt(now)
	if p.skip {
		u.SetStatus(reminder.StatusSkipped).SetLastError(reasonWindowPassed).ClearNextAttemptAt()
	} else {
		u.SetStatus(reminder.StatusPending).SetLastError("").SetNextAttemptAt(p.at)
	}
	n, err := u.Save(ctx)
	if err != nil {
		return fmt.Errorf("revive reminder: %w", err)
	}
	st.Revived += n
	return nil
}
