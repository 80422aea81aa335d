package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/webhookdelivery"
)

func TestDeliverySignedAndVerifiable(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		sub, secret := e.subscribe(rc.URL+"/hook", CustomerCreated, CustomerUpdated)
		if !strings.HasPrefix(secret, "whsec_") || strings.Contains(sub.SecretEnc, secret) {
			t.Fatalf("secret %q stored as %q", secret, sub.SecretEnc)
		}
		c := e.customer("王小明")
		st := e.run()
		if st.Dispatch.Enqueued != 1 || st.Drain.Delivered != 1 {
			t.Fatalf("stats %+v", st)
		}
		calls := rc.got()
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		got := calls[0]
		if got.event.Type != CustomerCreated || got.event.SubjectID != c.ID {
			t.Fatalf("event %+v", got.event)
		}
		if err := Verify(secret, got.signature, got.body, e.clk.Now(), 5*time.Minute); err != nil {
			t.Fatalf("receiver cannot verify: %v", err)
		}
		// A replay of the same call later is refused by the receiver.
		if err := Verify(secret, got.signature, got.body, e.clk.Now().Add(6*time.Minute), 5*time.Minute); !errors.Is(err, ErrStaleSignature) {
			t.Fatalf("replay: %v", err)
		}
		ds := e.deliveries()
		if len(ds) != 1 || ds[0].Status != webhookdelivery.StatusDelivered || len(ds[0].Attempts) != 1 ||
			ds[0].Attempts[0].StatusCode != 200 || got.delivery != ds[0].ID.String() {
			t.Fatalf("delivery %+v", ds[0])
		}
		// Nothing new: nothing more.
		if st := e.run(); st.Dispatch.Enqueued != 0 || st.Drain.Claimed != 0 {
			t.Fatalf("second run %+v", st)
		}
		// An update is customer.updated, a new event.
		e.rename(c, "王大明")
		e.run()
		if calls := rc.got(); len(calls) != 2 || calls[1].event.Type != CustomerUpdated || calls[1].event.ID == got.event.ID {
			t.Fatalf("calls %+v", calls)
		}
	})
}

func TestDispatchNeverDuplicates(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		e.subscribe(rc.URL, CustomerCreated)
		other := e.service(nil)
		for i := range 30 {
			e.customer("客户" + string(rune('A'+i)))
		}
		// Two dispatchers at once (two replicas).
		var wg sync.WaitGroup
		for _, s := range []*Service{e.s, other} {
			wg.Go(func() {
				if _, err := s.Dispatcher.Dispatch(context.Background(), e.clk.Now()); err != nil {
					t.Errorf("dispatch: %v", err)
				}
			})
		}
		wg.Wait()
		if n := len(e.deliveries()); n != 30 {
			t.Fatalf("%d deliveries, want 30", n)
		}
		// A replay of the whole log (watermark lost) adds nothing.
		if _, err := e.db.Client.ServerMeta.UpdateOneID(watermarkKey).SetValue("0").Save(e.sys); err != nil {
			t.Fatal(err)
		}
		st, err := e.s.Dispatcher.Dispatch(context.Background(), e.clk.Now())
		if err != nil || st.Entries != 30 || st.Enqueued != 0 {
			t.Fatalf("replay: %+v %v", st, err)
		}
		if n := len(e.deliveries()); n != 30 {
			t.Fatalf("%d deliveries after replay", n)
		}
		if _, err := e.db.Client.ServerMeta.Query().Where(servermeta.ID(watermarkKey)).Only(e.sys); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRetryBackoffAndGiveUp(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
		})
		e.subscribe(rc.URL, CustomerCreated)
		e.customer("李雷")
		e.run()
		// Rand is 0.5: the n-th delay is 0.75·30s·2^(n-1), capped at an hour.
		var waits []time.Duration
		for i := 0; ; i++ {
			d := e.deliveries()[0]
			if d.Status == webhookdelivery.StatusFailed {
				break
			}
			if d.Status != webhookdelivery.StatusPending || d.NextAttemptAt == nil {
				t.Fatalf("after attempt %d: %s", len(d.Attempts), d.Status)
			}
			wait := d.NextAttemptAt.Sub(e.clk.Now())
			waits = append(waits, wait)
			// Not before it is due.
			e.clk.Advance(wait - time.Second)
			if st := e.run(); st.Drain.Claimed != 0 {
				t.Fatalf("claimed %v before due", time.Second)
			}
			e.clk.Advance(time.Second)
			e.run()
			if i > 100 {
				t.Fatal("never gave up")
			}
		}
		want := []time.Duration{22500 * time.Millisecond, 45 * time.Second, 90 * time.Second, 3 * time.Minute,
			6 * time.Minute, 12 * time.Minute, 24 * time.Minute, 45 * time.Minute}
		for i, w := range want {
			if waits[i] != w {
				t.Fatalf("wait %d = %v, want %v (all %v)", i, waits[i], w, waits)
			}
		}
		d := e.deliveries()[0]
		if age := e.clk.Now().Sub(d.CreatedAt); age > 24*time.Hour || age < 23*time.Hour {
			t.Fatalf("given up after %v", age)
		}
		if len(d.Attempts) != len(waits)+1 || len(rc.got()) != len(d.Attempts) {
			t.Fatalf("%d attempts recorded, %d calls, %d waits", len(d.Attempts), len(rc.got()), len(waits))
		}
		for _, a := range d.Attempts {
			if a.StatusCode != 500 || a.Error != "" {
				t.Fatalf("attempt %+v", a)
			}
		}
	})
}

func TestRetryAfterAndGoneAndTimeout(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		var mode sync.Map
		rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) {
			m, _ := mode.Load("m")
			switch m {
			case "retry-after":
				w.Header().Set("Retry-After", "7200")
				w.WriteHeader(http.StatusServiceUnavailable)
			case "timeout":
				<-r.Context().Done()
			case "gone":
				w.WriteHeader(http.StatusGone)
			}
		})
		sub, _ := e.subscribe(rc.URL, CustomerCreated)
		e.customer("韩梅梅")

		mode.Store("m", "retry-after")
		e.run()
		d := e.deliveries()[0]
		if d.Status != webhookdelivery.StatusPending || d.NextAttemptAt.Sub(e.clk.Now()) != 2*time.Hour {
			t.Fatalf("Retry-After not honoured: %s next %v", d.Status, d.NextAttemptAt)
		}

		mode.Store("m", "timeout")
		e.clk.Advance(2 * time.Hour)
		e.run()
		d = e.deliveries()[0]
		last := d.Attempts[len(d.Attempts)-1]
		if d.Status != webhookdelivery.StatusPending || last.StatusCode != 0 || !strings.Contains(last.Error, "timeout") {
			t.Fatalf("timeout: %s %+v", d.Status, last)
		}

		mode.Store("m", "gone")
		e.clk.Set(*d.NextAttemptAt)
		e.run()
		d = e.deliveries()[0]
		if d.Status != webhookdelivery.StatusFailed || d.Attempts[len(d.Attempts)-1].StatusCode != 410 {
			t.Fatalf("410: %s %+v", d.Status, d.Attempts)
		}
		got, err := e.s.Get(integrator("crm"), sub.ID)
		if err != nil || got.Active {
			t.Fatalf("subscription after 410: %+v %v", got, err)
		}
		// Inactive: new events are not enqueued.
		e.customer("新客户")
		if st := e.run(); st.Dispatch.Enqueued != 0 {
			t.Fatalf("enqueued for an inactive subscription: %+v", st)
		}
	})
}

func TestTwoWorkersNeverDeliverTwice(t *testing.T) {
	each(t, func(c *Config) { c.BatchSize = 3 }, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		e.subscribe(rc.URL, CustomerCreated, CustomerUpdated)
		const n = 24
		for i := range n {
			c := e.customer("客户")
			if i%2 == 0 {
				e.rename(c, "改名")
			}
		}
		if _, err := e.s.Dispatcher.Dispatch(context.Background(), e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		workers := []*Service{e.s, e.service(func(c *Config) { c.BatchSize = 3 }), e.service(func(c *Config) { c.BatchSize = 3 })}
		var wg sync.WaitGroup
		for _, s := range workers {
			wg.Go(func() {
				for {
					st, err := s.Worker.Drain(context.Background(), e.clk.Now())
					if err != nil {
						t.Errorf("drain: %v", err)
						return
					}
					if st.Claimed == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		// Drains can end while another worker still blocks a subject.
		for range 5 {
			e.run()
		}
		seen := map[uuid.UUID]int{}
		for _, c := range rc.got() {
			seen[c.event.ID]++
		}
		want := n + n/2
		if len(seen) != want {
			t.Fatalf("%d events delivered, want %d", len(seen), want)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("event %s delivered %d times", id, k)
			}
		}
		for _, d := range e.deliveries() {
			if d.Status != webhookdelivery.StatusDelivered || len(d.Attempts) != 1 {
				t.Fatalf("delivery %s: %s, %d attempts", d.ID, d.Status, len(d.Attempts))
			}
		}
	})
}

func TestOrderPerSubject(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		var (
			mu     sync.Mutex
			x      uuid.UUID
			failed bool
		)
		// The receiver fails x's first call once.
		rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) {
			var ev Event
			if err := json.Unmarshal(rcBody(r), &ev); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ev.SubjectID == x && !failed {
				failed = true
				w.WriteHeader(http.StatusBadGateway)
			}
		})
		e.subscribe(rc.URL, CustomerCreated, CustomerUpdated)
		xc := e.customer("甲")
		mu.Lock()
		x = xc.ID
		mu.Unlock()
		e.rename(xc, "甲2")
		e.rename(xc, "甲3")
		e.customer("乙")
		e.run()
		// x's first event failed: x's later ones wait; y's goes.
		calls := rc.got()
		if got := subjects(calls, x); strings.Join(got, " ") != "x:customer.created y:customer.created" &&
			strings.Join(got, " ") != "y:customer.created x:customer.created" {
			t.Fatalf("first round: %v", got)
		}
		e.clk.Advance(time.Hour)
		e.run()
		var xs []string
		for _, s := range subjects(rc.got(), x) {
			if strings.HasPrefix(s, "x:") {
				xs = append(xs, s)
			}
		}
		want := "x:customer.created x:customer.created x:customer.updated x:customer.updated"
		if strings.Join(xs, " ") != want {
			t.Fatalf("x's calls in order %v, want %v", xs, want)
		}
	})
}

func subjects(cs []call, x uuid.UUID) []string {
	var out []string
	for _, c := range cs {
		who := "y"
		if c.event.SubjectID == x {
			who = "x"
		}
		out = append(out, who+":"+c.event.Type)
	}
	return out
}

func TestComplaintBreachedOnce(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		e.subscribe(rc.URL, ComplaintBreached)
		c := e.customer("投诉人")
		var cp *ent.Complaint
		e.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
			now := e.clk.Now()
			cp, err = tx.Complaint.Create().SetCustomerID(c.ID).SetSummary("理赔慢").SetReceivedAt(now).
				SetAckDueAt(now.Add(24 * time.Hour)).SetAnswerDueAt(now.Add(48 * time.Hour)).
				SetCloseDueAt(now.Add(7 * 24 * time.Hour)).Save(ctx)
			return err
		})
		e.run()
		e.clk.Advance(23 * time.Hour)
		e.run()
		if n := len(rc.got()); n != 0 {
			t.Fatalf("%d calls before the breach", n)
		}
		e.clk.Advance(2 * time.Hour)
		e.run()
		e.clk.Advance(48 * time.Hour) // the answer clock runs out too
		e.run()
		calls := rc.got()
		if len(calls) != 1 || calls[0].event.Type != ComplaintBreached || calls[0].event.SubjectID != cp.ID ||
			!calls[0].event.CreatedAt.Equal(cp.AckDueAt.UTC()) {
			t.Fatalf("calls %+v", calls)
		}
	})
}

func TestReminderSentOnce(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		e.subscribe(rc.URL, PolicyReminderSent)
		r := &ent.Reminder{ID: uuid.New(), PolicyID: uuid.New(), CustomerID: uuid.New(), RecipientID: uuid.New(),
			RecipientKind: "agent", DueKind: "renewal", DueDate: t0.AddDate(0, 0, 7), WindowDays: 7}
		for range 2 {
			e.tx(func(ctx context.Context, tx *ent.Tx) error { return ReminderSent(ctx, tx, r, e.clk.Now()) })
		}
		e.run()
		calls := rc.got()
		if len(calls) != 1 || calls[0].event.Type != PolicyReminderSent || calls[0].event.SubjectID != r.PolicyID {
			t.Fatalf("calls %+v", calls)
		}
	})
}

// Each event carries the record as of its own version, even when the
// record changed again before the dispatcher read the log.
func TestEventDataAsOfItsVersion(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		e.subscribe(rc.URL, CustomerCreated, CustomerUpdated, TaskCompleted)
		c := e.customer("王一")
		e.rename(c, "王二")
		e.rename(c, "王三")
		// A task completed and reopened before the dispatcher ran: its
		// completion is still announced, with the done state.
		var tk *ent.Task
		e.tx(func(ctx context.Context, tx *ent.Tx) (err error) {
			tk, err = tx.Task.Create().SetCustomerID(c.ID).SetTitle("回访").Save(ctx)
			return err
		})
		e.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Task.UpdateOneID(tk.ID).SetStatus(task.StatusDone).Exec(ctx)
		})
		e.tx(func(ctx context.Context, tx *ent.Tx) error {
			return tx.Task.UpdateOneID(tk.ID).SetStatus(task.StatusTodo).Exec(ctx)
		})
		if n := e.snapshotCount(); n != 4 {
			t.Fatalf("%d snapshots before dispatch, want 4 (three customer versions, one completion)", n)
		}
		e.run()
		type seen struct {
			Type    string
			Version int64
			Name    string
			Status  string
		}
		// In order per subject (subjects are delivered concurrently).
		var got, tasks []seen
		for _, cl := range rc.got() {
			var d struct {
				Version int64
				Name    string
				Status  string
			}
			if err := json.Unmarshal(cl.event.Data, &d); err != nil {
				t.Fatal(err)
			}
			if cl.event.SubjectID == tk.ID {
				tasks = append(tasks, seen{cl.event.Type, d.Version, d.Name, d.Status})
				continue
			}
			got = append(got, seen{cl.event.Type, d.Version, d.Name, d.Status})
		}
		got = append(got, tasks...)
		want := []seen{
			{CustomerCreated, 1, "王一", ""}, {CustomerUpdated, 2, "王二", ""}, {CustomerUpdated, 3, "王三", ""},
			{TaskCompleted, 2, "", "done"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}
		if n := e.snapshotCount(); n != 0 {
			t.Fatalf("%d snapshots left after dispatch", n)
		}

		// Without capture (a change written by a process that runs no
		// webhook service) the event has the state at dispatch.
		e.s.Close()
		e.rename(c, "王四")
		e.rename(c, "王五")
		if n := e.snapshotCount(); n != 0 {
			t.Fatalf("%d snapshots with capture stopped", n)
		}
		e.run()
		calls := rc.got()
		if len(calls) != 6 {
			t.Fatalf("%d calls, want 6", len(calls))
		}
		for _, cl := range calls[4:] {
			var d struct{ Name string }
			_ = json.Unmarshal(cl.event.Data, &d)
			if d.Name != "王五" {
				t.Fatalf("uncaptured event data %s, want the state at dispatch", cl.event.Data)
			}
		}
	})
}

// No subscription wants an event of a collection: nothing is captured.
func TestEventDataCapturedOnlyWhenWanted(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		rc := newReceiver(t, nil)
		e.subscribe(rc.URL, ComplaintCreated)
		c := e.customer("赵六")
		e.rename(c, "赵七")
		if n := e.snapshotCount(); n != 0 {
			t.Fatalf("%d snapshots of customers nobody subscribed to", n)
		}
		// A subscription made now is seen by the next write at once.
		e.subscribe(rc.URL, CustomerUpdated)
		e.rename(c, "赵八")
		if n := e.snapshotCount(); n != 1 {
			t.Fatalf("%d snapshots after subscribing, want 1", n)
		}
	})
}

func (e *env) snapshotCount() int {
	e.t.Helper()
	n, err := e.db.Client.WebhookSnapshot.Query().Count(e.sys)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
