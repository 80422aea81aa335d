package push

import (
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/deliveryattempt"
	"github.com/agentdesk/agentdesk/ent/device"
	"github.com/agentdesk/agentdesk/ent/reminder"
)

// verify checks the simulation's end state. Rows whose send time is before
// end are due; the simulation ran two more days so that they settle.
func (s *sim) verify(end time.Time) {
	t := s.t
	ctx := s.f.ctx
	c := s.db.Client
	rows, err := c.Reminder.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	devs, err := c.Device.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	atts, err := c.DeliveryAttempt.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := c.Notification.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uuid.UUID]*ent.Reminder{}
	byKey := map[Key]*ent.Reminder{}
	status := map[reminder.Status]int{}
	for _, r := range rows {
		byID[r.ID] = r
		byKey[keyOf(r)] = r
		status[r.Status]++
	}
	token := map[uuid.UUID]string{}
	for _, d := range devs {
		token[d.ID] = d.Token
	}
	t.Logf("reminders by status: %v; %d attempts; %d inbox entries", status, len(atts), len(notes))

	// Every due reminder is settled, with a reason unless it went out.
	for _, r := range rows {
		if !r.ScheduledFor.Before(end) {
			continue
		}
		switch r.Status {
		case reminder.StatusPending, reminder.StatusSending:
			t.Errorf("reminder %s (%s) still %s after the flush", r.ID, keyOf(r), r.Status)
		case reminder.StatusFailed, reminder.StatusCancelled, reminder.StatusSkipped:
			if r.LastError == "" {
				t.Errorf("reminder %s is %s without a reason", r.ID, r.Status)
			}
		}
	}

	// Exactly once: FCM accepted each (reminder, device) at most once, and
	// exactly the pairs recorded as sent.
	type pair struct {
		reminder uuid.UUID
		token    string
	}
	accepted := map[pair]int{}
	for _, req := range s.srv.Accepted() {
		id, err := uuid.Parse(req.Message.Data[dataReminderID])
		if err != nil {
			t.Fatalf("request without a reminder id: %v", req.Message.Data)
		}
		accepted[pair{id, req.Token}]++
		r := byID[id]
		switch {
		case r == nil:
			t.Errorf("push for unknown reminder %s", id)
			continue
		case req.At.Before(r.ScheduledFor):
			t.Errorf("reminder %s pushed at %v, before its send time %v", id, req.At, r.ScheduledFor)
		case s.cfg.Quiet.Contains(req.At, s.tz[req.Token]):
			t.Errorf("reminder %s pushed at %v local, inside quiet hours", id, req.At.In(s.tz[req.Token]))
		}
		for _, stop := range s.stops[r.PolicyID] {
			if !req.At.Before(stop.at) && (stop.until.IsZero() || req.At.Before(stop.until)) && stop.matches(r) {
				t.Errorf("reminder %s pushed at %v, after the policy was %s at %v", keyOf(r), req.At, stop.why, stop.at)
			}
		}
		if req.Message.Data[dataReminderKey] != keyOf(r).String() {
			t.Errorf("push carries key %q, want %q", req.Message.Data[dataReminderKey], keyOf(r))
		}
	}
	for p, n := range accepted {
		if n != 1 {
			t.Errorf("reminder %s reached device %s %d times", p.reminder, p.token, n)
		}
	}
	recorded := map[pair]bool{}
	for _, a := range atts {
		if a.Outcome != deliveryattempt.OutcomeSent {
			continue
		}
		p := pair{a.ReminderID, token[*a.DeviceID]}
		if recorded[p] {
			t.Errorf("reminder %s recorded sent twice to %s", p.reminder, p.token)
		}
		recorded[p] = true
		if accepted[p] != 1 {
			t.Errorf("reminder %s recorded sent to %s but FCM accepted it %d times", p.reminder, p.token, accepted[p])
		}
	}
	if len(recorded) != len(accepted) {
		t.Errorf("%d pushes accepted, %d recorded", len(accepted), len(recorded))
	}

	// The inbox holds every attempted agent reminder once, and nothing else.
	noteByID := map[uuid.UUID]*ent.Notification{}
	for _, n := range notes {
		noteByID[n.ID] = n
	}
	inInbox := 0
	for _, r := range rows {
		if r.RecipientKind != reminder.RecipientKindAgent || r.Attempts == 0 {
			if r.NotificationID != nil {
				t.Errorf("reminder %s (%s, %d attempts) has an inbox entry", r.ID, r.RecipientKind, r.Attempts)
			}
			continue
		}
		inInbox++
		n := noteByID[ptrVal(r.NotificationID)]
		if n == nil || n.DedupeKey == nil || *n.DedupeKey != keyOf(r).String() || n.AgentID != r.RecipientID {
			t.Errorf("reminder %s: inbox entry %v does not match", r.ID, n)
		}
	}
	if inInbox != len(notes) {
		t.Errorf("%d inbox entries for %d attempted agent reminders", len(notes), inInbox)
	}

	s.oracle(end, byKey)
}

func ptrVal[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// oracle computes, independently of the Scheduler, the windows of the
// policies that only automatic payments changed, and checks each due one
// went out (or was recorded failed, or skipped by the back-fill rule).
func (s *sim) oracle(end time.Time, byKey map[Key]*ent.Reminder) {
	t := s.t
	ctx := s.f.ctx
	checked := 0
	for id := range s.untouched {
		p, err := s.db.Client.InsurancePolicy.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		cu, err := s.db.Client.Customer.Get(ctx, p.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		type rcpt struct {
			kind reminder.RecipientKind
			id   uuid.UUID
			loc  *time.Location
		}
		a, err := s.db.Client.Agent.Get(ctx, *cu.AgentID)
		if err != nil {
			t.Fatal(err)
		}
		rs := []rcpt{{reminder.RecipientKindAgent, a.ID, mustZone(t, a.TimeZone)}}
		if loc, ok := s.customerZone(cu.ID); ok && cu.Consent.Push {
			rs = append(rs, rcpt{reminder.RecipientKindCustomer, cu.ID, loc})
		}
		as := s.assigned[id]
		for i, asg := range as {
			until := end
			for _, later := range as[i+1:] {
				if later.kind == asg.kind {
					if later.at.Before(until) {
						until = later.at
					}
					break
				}
			}
			for _, w := range s.cfg.windowsFor(p.Line, asg.kind) {
				for _, r := range rs {
					at := s.cfg.SendTime(dateOf(asg.date), w, r.loc)
					cutoff := asg.at.Add(-s.cfg.BackfillGrace)
					if !at.Before(until) || absDur(at.Sub(cutoff)) < 2*time.Hour {
						continue
					}
					checked++
					k := Key{PolicyID: id, DueKind: asg.kind, DueDate: dateOf(asg.date), WindowDays: w,
						RecipientKind: r.kind, RecipientID: r.id}
					row := byKey[k]
					switch {
					case row == nil:
						t.Errorf("no reminder %s (send time %v)", k, at)
					case at.Before(cutoff):
						if row.Status != reminder.StatusSkipped {
							t.Errorf("reminder %s: %s, want skipped (window passed before planning)", k, row.Status)
						}
					case row.Status == reminder.StatusFailed:
					case row.Status != reminder.StatusSent:
						t.Errorf("reminder %s: %s (%s), want sent", k, row.Status, row.LastError)
					case row.SentAt == nil || row.SentAt.Before(at) || s.cfg.Quiet.Contains(*row.SentAt, r.loc):
						t.Errorf("reminder %s sent at %v, send time %v", k, row.SentAt, at)
					}
				}
			}
		}
	}
	t.Logf("oracle checked %d due windows of %d unchanged policies", checked, len(s.untouched))
}

func (s *sim) customerZone(id uuid.UUID) (*time.Location, bool) {
	d, err := s.db.Client.Device.Query().Where(device.CustomerID(id)).First(s.f.ctx)
	if ent.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return s.tz[d.Token], true
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
