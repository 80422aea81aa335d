package push

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/ent/reminder"
	"github.com/agentdesk/agentdesk/internal/access"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
)

// WindowStatus is the state of one reminder window (ReminderStatus in the
// API).
type WindowStatus string

// The states of a window.
const (
	WindowScheduled WindowStatus = "scheduled" // its send time is ahead
	WindowPending   WindowStatus = "pending"   // due (or being retried), not yet out
	WindowDelivered WindowStatus = "delivered" // accepted by FCM for a device
	WindowSent      WindowStatus = "sent"      // completed in the inbox only (no device, no provider)
	WindowFailed    WindowStatus = "failed"    // given up on; ErrorCode says why
	WindowCancelled WindowStatus = "cancelled" // the date, status or recipient changed first
	WindowSkipped   WindowStatus = "skipped"   // never sent: passed before planning, or nowhere to go
)

// ReportFilter narrows and pages the reminder report.
type ReportFilter struct {
	TeamID  *uuid.UUID // only customers of this team's agents
	AgentID *uuid.UUID // only this agent's customers
	Cursor  string     // NextCursor of the previous page
	Limit   int        // 1..500; default 50
}

// Report is one page of the reminder report.
type Report struct {
	Items      []ReportItem
	NextCursor *string // nil on the last page
}

// ReportItem is one due date of one policy and its windows.
type ReportItem struct {
	PolicyID     uuid.UUID
	CustomerID   uuid.UUID
	CustomerName string
	PolicyNumber string
	DueKind      reminder.DueKind
	DueDate      time.Time // a calendar date (UTC midnight)
	Windows      []ReportWindow
	// AtRisk: the date still stands and some window's send time passed
	// more than Config.AtRiskAfter ago without the reminder reaching its
	// recipient — still pending, failed, skipped because it passed before
	// planning, or never planned at all.
	AtRisk bool
}

// ReportWindow is one window for one recipient.
type ReportWindow struct {
	WindowDays   int
	Recipient    reminder.RecipientKind
	Status       WindowStatus
	ScheduledFor *time.Time
	SentAt       *time.Time
	ErrorCode    *string
	// Channel is how a sent reminder reached its recipient (nil until
	// sent, and for reminders sent before the channel was stored).
	Channel *reminder.Channel
}

// itemKey orders report items: due date, due kind, policy.
type itemKey struct {
	date   time.Time
	kind   reminder.DueKind
	policy uuid.UUID
}

func (a itemKey) compare(b itemKey) int {
	return cmp.Or(a.date.Compare(b.date), strings.Compare(string(a.kind), string(b.kind)),
		slices.Compare(a.policy[:], b.policy[:]))
}

func (a itemKey) cursor() string {
	return base64.RawURLEncoding.EncodeToString([]byte(a.date.Format(time.DateOnly) + "|" + string(a.kind) + "|" + a.policy.String()))
}

func parseCursor(s string) (itemKey, error) {
	bad := apperr.Invalid("invalid cursor", apperr.FieldError{Field: "cursor", Code: "invalid", Message: "not a cursor of this report"})
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return itemKey{}, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return itemKey{}, bad
	}
	d, err1 := time.Parse(time.DateOnly, parts[0])
	id, err2 := uuid.Parse(parts[2])
	kind := reminder.DueKind(parts[1])
	if err1 != nil || err2 != nil || reminder.DueKindValidator(kind) != nil {
		return itemKey{}, bad
	}
	return itemKey{date: d, kind: kind, policy: id}, nil
}

// ReminderReport lists, for every policy with a premium or renewal date in
// [from, to] (calendar dates; zero: today and 30 days on), each window and
// recipient: scheduled, pending, delivered to FCM, sent to the inbox only,
// failed (and why), cancelled or skipped. Dates come from the policies
// (active or grace) and from the outbox (so a premium paid after its
// reminders went out still shows them). Windows the outbox lacks for a
// standing date are listed for the agent from the configuration, as
// planned, so a scheduler that never ran shows up as at risk.
//
// ctx is the caller's: the access rules on policies and customers scope
// what it sees (an integrator with reports:read sees everything). The outbox itself is the server's (system-only), so its
// rows are read on the server's behalf and shown only for policies the
// caller sees.
func (s *Service) ReminderReport(ctx context.Context, from, to time.Time, f ReportFilter) (*Report, error) {
	now := s.clock.Now()
	if from.IsZero() {
		from = now
	}
	from = dateOf(from)
	if to.IsZero() {
		to = from.AddDate(0, 0, 30)
	}
	to = dateOf(to)
	switch {
	case to.Before(from):
		return nil, apperr.Invalid("to is before from", apperr.FieldError{Field: "to", Code: "range", Message: "must not be before from"})
	case to.Sub(from) > 366*24*time.Hour:
		return nil, apperr.Invalid("period too long", apperr.FieldError{Field: "to", Code: "range", Message: "at most 366 days after from"})
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 500 {
		return nil, apperr.Invalid("invalid limit", apperr.FieldError{Field: "limit", Code: "range", Message: "must be 1..500"})
	}
	var after *itemKey
	if f.Cursor != "" {
		k, err := parseCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	sys := auth.SystemContext(ctx)
	if v, ok := auth.ViewerFrom(ctx); ok && v.HasScope(access.ReportsRead) {
		// An integrator's reports:read covers the whole book, beyond the
		// policies:read that reading policies asks of it.
		ctx = sys
	}
	keys, more, err := s.reportKeys(ctx, sys, from, to, f, after)
	if err != nil {
		return nil, fmt.Errorf("reminder report: %w", err)
	}
	items, err := s.reportItems(ctx, sys, keys, from, to, now)
	if err != nil {
		return nil, fmt.Errorf("reminder report: %w", err)
	}
	rep := &Report{Items: items}
	if more && len(keys) > 0 {
		c := keys[len(keys)-1].cursor()
		rep.NextCursor = &c
	}
	return rep, nil
}

// inCustomers restricts a query's customer_id column to the filter's
// customers (a subquery, so a team of any size costs one statement).
func inCustomers(f ReportFilter) func(s *entsql.Selector) {
	return func(s *entsql.Selector) {
		if f.AgentID == nil && f.TeamID == nil {
			return
		}
		c := entsql.Table(customer.Table)
		sub := entsql.Select(c.C(customer.FieldID)).From(c)
		if f.AgentID != nil {
			sub.Where(entsql.EQ(c.C(customer.FieldAgentID), *f.AgentID))
		}
		if f.TeamID != nil {
			a := entsql.Table(agent.Table)
			sub.Where(entsql.In(c.C(customer.FieldAgentID),
				entsql.Select(a.C(agent.FieldID)).From(a).Where(entsql.EQ(a.C(agent.FieldTeamID), *f.TeamID))))
		}
		s.Where(entsql.In(s.C("customer_id"), sub))
	}
}

// reportKeys returns the page's item keys in order, and whether more follow.
func (s *Service) reportKeys(ctx, sys context.Context, from, to time.Time, f ReportFilter, after *itemKey) ([]itemKey, bool, error) {
	c := s.db.Client
	var (
		all   []itemKey
		bound *itemKey // the page may not reach past a truncated source's last key
	)
	add := func(ks []itemKey, truncated bool) {
		all = append(all, ks...)
		if truncated && len(ks) > 0 && (bound == nil || ks[len(ks)-1].compare(*bound) < 0) {
			b := ks[len(ks)-1]
			bound = &b
		}
	}
	for _, kind := range dueKinds {
		field := insurancepolicy.FieldNextPremiumDueDate
		if kind == reminder.DueKindRenewal {
			field = insurancepolicy.FieldRenewalDate
		}
		preds := []predicate.InsurancePolicy{
			insurancepolicy.StatusIn(insurancepolicy.StatusActive, insurancepolicy.StatusGrace),
			entsql.FieldGTE(field, from), entsql.FieldLTE(field, to), inCustomers(f),
		}
		if after != nil {
			preds = append(preds, policyAfter(field, kind, *after))
		}
		ps, err := c.InsurancePolicy.Query().Where(preds...).
			Order(entsql.OrderByField(field).ToFunc(), ent.Asc(insurancepolicy.FieldID)).
			Limit(f.Limit + 1).All(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("list policies: %w", err)
		}
		ks := make([]itemKey, len(ps))
		for i, p := range ps {
			ks[i] = itemKey{date: dateOf(*dueDate(p, kind)), kind: kind, policy: p.ID}
		}
		add(ks, len(ps) > f.Limit)
	}
	rowLimit := (f.Limit + 1) * 12
	preds := []predicate.Reminder{reminder.DueDateGTE(from), reminder.DueDateLTE(to),
		reminder.StatusNEQ(reminder.StatusCancelled), inCustomers(f)}
	if after != nil {
		preds = append(preds, reminderAfter(*after))
	}
	rows, err := c.Reminder.Query().Where(preds...).
		Order(ent.Asc(reminder.FieldDueDate), ent.Asc(reminder.FieldDueKind), ent.Asc(reminder.FieldPolicyID)).
		Limit(rowLimit).Select(reminder.FieldDueDate, reminder.FieldDueKind, reminder.FieldPolicyID).All(sys)
	if err != nil {
		return nil, false, fmt.Errorf("list reminders: %w", err)
	}
	var (
		ks   []itemKey
		pids []uuid.UUID
	)
	for _, r := range rows {
		k := itemKey{date: dateOf(r.DueDate), kind: r.DueKind, policy: r.PolicyID}
		if len(ks) == 0 || ks[len(ks)-1].compare(k) != 0 {
			ks = append(ks, k)
			pids = append(pids, r.PolicyID)
		}
	}
	// Keep the items of the policies the caller may see.
	visible, err := c.InsurancePolicy.Query().Where(insurancepolicy.IDIn(uniq(pids)...)).IDs(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("list policies: %w", err)
	}
	seen := map[uuid.UUID]bool{}
	for _, id := range visible {
		seen[id] = true
	}
	truncated := len(rows) == rowLimit
	if truncated && len(ks) > 0 {
		// The bound is the last item read, visible or not.
		last := ks[len(ks)-1]
		if bound == nil || last.compare(*bound) < 0 {
			bound = &last
		}
	}
	ks = slices.DeleteFunc(ks, func(k itemKey) bool { return !seen[k.policy] })
	add(ks, false)

	slices.SortFunc(all, itemKey.compare)
	all = slices.CompactFunc(all, func(a, b itemKey) bool { return a.compare(b) == 0 })
	if bound != nil {
		n, _ := slices.BinarySearchFunc(all, *bound, itemKey.compare)
		all = all[:min(len(all), n+1)]
	}
	more := len(all) > f.Limit || bound != nil
	if len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, more, nil
}

// policyAfter selects policies whose item (date field, kind, id) follows a.
func policyAfter(field string, kind reminder.DueKind, a itemKey) predicate.InsurancePolicy {
	switch c := strings.Compare(string(kind), string(a.kind)); {
	case c > 0:
		return entsql.FieldGTE(field, a.date)
	case c < 0:
		return entsql.FieldGT(field, a.date)
	}
	return insurancepolicy.Or(entsql.FieldGT(field, a.date),
		insurancepolicy.And(entsql.FieldEQ(field, a.date), insurancepolicy.IDGT(a.policy)))
}

// reminderAfter selects reminder rows of items that follow a.
func reminderAfter(a itemKey) predicate.Reminder {
	sameDay := []predicate.Reminder{reminder.And(reminder.DueKindEQ(a.kind), reminder.PolicyIDGT(a.policy))}
	for _, k := range dueKinds {
		if strings.Compare(string(k), string(a.kind)) > 0 {
			sameDay = append(sameDay, reminder.DueKindEQ(k))
		}
	}
	return reminder.Or(reminder.DueDateGT(a.date),
		reminder.And(reminder.DueDateEQ(a.date), reminder.Or(sameDay...)))
}

// reportItems completes the page's items with their policies, customers
// and windows.
func (s *Service) reportItems(ctx, sys context.Context, keys []itemKey, from, to, now time.Time) ([]ReportItem, error) {
	if len(keys) == 0 {
		return []ReportItem{}, nil
	}
	c := s.db.Client
	pids := make([]uuid.UUID, len(keys))
	for i, k := range keys {
		pids[i] = k.policy
	}
	pids = uniq(pids)
	policies, err := loadPolicies(ctx, c, pids)
	if err != nil {
		return nil, err
	}
	states, err := loadPeople(ctx, sys, c, policies)
	if err != nil {
		return nil, err
	}
	rows, err := c.Reminder.Query().
		Where(reminder.PolicyIDIn(pids...), reminder.DueDateGTE(from), reminder.DueDateLTE(to)).
		Order(ent.Desc(reminder.FieldWindowDays), ent.Asc(reminder.FieldRecipientKind), ent.Asc(reminder.FieldScheduledFor)).
		All(sys)
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	byItem := map[itemKey][]*ent.Reminder{}
	for _, r := range rows {
		k := itemKey{date: dateOf(r.DueDate), kind: r.DueKind, policy: r.PolicyID}
		byItem[k] = append(byItem[k], r)
	}
	items := make([]ReportItem, 0, len(keys))
	for _, k := range keys {
		st := states[k.policy]
		if st == nil || st.customer == nil {
			continue // gone, or hidden from the caller
		}
		it := ReportItem{PolicyID: k.policy, CustomerID: st.customer.ID, CustomerName: st.customer.Name,
			PolicyNumber: st.policy.Number, DueKind: k.kind, DueDate: k.date, Windows: []ReportWindow{}}
		for _, r := range byItem[k] {
			it.Windows = append(it.Windows, windowOf(r, now))
		}
		current := st.policy.Status == insurancepolicy.StatusActive || st.policy.Status == insurancepolicy.StatusGrace
		if d := dueDate(st.policy, k.kind); d == nil || !dateOf(*d).Equal(k.date) {
			current = false
		}
		if current {
			it.Windows = append(it.Windows, s.unplanned(k, st, byItem[k], now)...)
			slices.SortStableFunc(it.Windows, func(a, b ReportWindow) int {
				return cmp.Or(cmp.Compare(b.WindowDays, a.WindowDays), strings.Compare(string(a.Recipient), string(b.Recipient)))
			})
			it.AtRisk = s.atRisk(it.Windows, now)
		}
		items = append(items, it)
	}
	return items, nil
}

// windowOf reports one outbox row.
func windowOf(r *ent.Reminder, now time.Time) ReportWindow {
	w := ReportWindow{WindowDays: r.WindowDays, Recipient: r.RecipientKind, SentAt: r.SentAt}
	at := r.ScheduledFor
	w.ScheduledFor = &at
	switch r.Status {
	case reminder.StatusPending, reminder.StatusSending:
		w.Status = WindowPending
		if r.Attempts == 0 && r.ScheduledFor.After(now) {
			w.Status = WindowScheduled
		}
	case reminder.StatusSent:
		// The stored channel says how it went; rows sent before the
		// channel was stored fall back on the provider's message id.
		w.Status = WindowSent
		if r.Channel != nil {
			ch := *r.Channel
			w.Channel = &ch
			if ch == reminder.ChannelPush {
				w.Status = WindowDelivered
			}
		} else if r.ProviderMessageID != "" {
			w.Status = WindowDelivered
		}
	case reminder.StatusFailed:
		w.Status = WindowFailed
	case reminder.StatusCancelled:
		w.Status = WindowCancelled
	case reminder.StatusSkipped:
		w.Status = WindowSkipped
	}
	if r.LastError != "" {
		code := reasonCode(r.LastError)
		w.ErrorCode = &code
	}
	return w
}

// unplanned lists the agent windows of a standing date that the outbox
// does not hold (yet), as the Scheduler would plan them.
func (s *Service) unplanned(k itemKey, st *policyState, rows []*ent.Reminder, now time.Time) []ReportWindow {
	if st.agent == nil || st.agent.Disabled {
		return nil
	}
	have := map[int]bool{}
	for _, r := range rows {
		if r.RecipientKind == reminder.RecipientKindAgent && r.RecipientID == st.agent.ID {
			have[r.WindowDays] = true
		}
	}
	loc := s.zones.get(st.agent.TimeZone)
	var out []ReportWindow
	for _, w := range s.cfg.windowsFor(st.policy.Line, k.kind) {
		if have[w] {
			continue
		}
		at := s.cfg.SendTime(k.date, w, loc)
		status := WindowScheduled
		if !at.After(now) {
			status = WindowPending
		}
		out = append(out, ReportWindow{WindowDays: w, Recipient: reminder.RecipientKindAgent, Status: status, ScheduledFor: &at})
	}
	return out
}

// atRisk reports whether a window's send time passed more than
// AtRiskAfter ago without the reminder reaching its recipient. Windows
// that went out or were cancelled do not count, nor customer windows
// skipped because the customer has no device or push is off.
func (s *Service) atRisk(windows []ReportWindow, now time.Time) bool {
	late := now.Add(-s.cfg.AtRiskAfter)
	for _, w := range windows {
		if w.ScheduledFor == nil || w.ScheduledFor.After(late) {
			continue
		}
		switch w.Status {
		case WindowPending, WindowFailed:
			return true
		case WindowSkipped:
			if w.ErrorCode != nil && *w.ErrorCode == reasonWindowPassed {
				return true
			}
		}
	}
	return false
}
