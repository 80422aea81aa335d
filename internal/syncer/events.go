package syncer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/agent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/store"
)

// The events of the change-notice stream.
const (
	EventChanged   = "changed"
	EventHeartbeat = "heartbeat"
	EventReset     = "reset"
)

// changedEvery is the least time between two changed events of a stream.
const changedEvery = time.Second

// pollBatch bounds the log entries the hub examines per poll; beyond it
// every stream is told of news.
const pollBatch = 2000

// hub watches the change log for the streams of this process: one poller
// (woken at once by this process's commits, and every PollEvery for the
// other replicas') reads the new entries once and tells each stream
// whose scope they touch.
type hub struct {
	e    *Engine
	mu   sync.Mutex
	subs map[*subscriber]struct{}
	run  bool
	wake chan struct{}
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup // the poller
	last int64
	era  uuid.UUID
}

func newHub(e *Engine) *hub {
	return &hub{e: e, subs: map[*subscriber]struct{}{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// subscriber is one stream: its scope as of its last refresh.
type subscriber struct {
	agent   uuid.UUID
	admin   bool
	lead    bool
	team    uuid.UUID
	members map[uuid.UUID]bool // the lead's team
	book    map[uuid.UUID]bool // customers in the book
	events  chan string        // pending event (at most one: events coalesce)
	stale   bool               // the scope needs a reload (touched by the poller only)
}

// close stops the poller and waits for it, so that it does not outlive
// the database.
func (h *hub) close() {
	h.once.Do(func() {
		h.mu.Lock() // so that add either sees done closed or has started the poller
		close(h.done)
		h.mu.Unlock()
	})
	h.wg.Wait()
}

// notify wakes the poller without blocking.
func (h *hub) notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *hub) add(s *subscriber) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done:
		return errors.New("the server is shutting down")
	default:
	}
	h.subs[s] = struct{}{}
	if !h.run {
		h.run = true
		top, err := h.e.maxSeq(context.Background())
		if err != nil {
			return err
		}
		m, err := h.e.meta(context.Background())
		if err != nil {
			return err
		}
		h.last, h.era = top, m.era
		unsubscribe := h.e.db.Subscribe(func([]store.Change) { h.notify() })
		h.wg.Add(1)
		go h.poll(unsubscribe)
	}
	return nil
}

func (h *hub) remove(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (h *hub) poll(unsubscribe func()) {
	defer h.wg.Done()
	defer unsubscribe()
	t := time.NewTicker(h.e.opts.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-h.wake:
		case <-t.C:
		}
		if err := h.dispatch(context.Background()); err != nil {
			h.e.log.Error("sync events: read the change log", "error", err)
		}
	}
}

// dispatch reads the entries committed since the last dispatch and sends
// each stream whose scope they touch a changed event.
func (h *hub) dispatch(ctx context.Context) error {
	h.mu.Lock()
	subs := make([]*subscriber, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	last, era := h.last, h.era
	h.mu.Unlock()
	if len(subs) == 0 {
		return nil
	}
	m, err := h.e.meta(ctx)
	if err != nil {
		return err
	}
	if m.era != era {
		for _, s := range subs {
			s.send(EventReset)
		}
		h.mu.Lock()
		h.era = m.era
		h.mu.Unlock()
	}
	top, err := h.e.maxSeq(ctx)
	if err != nil || top <= last {
		return err
	}
	entries, err := h.e.db.Client.ChangeLog.Query().Where(changelog.IDGT(last), changelog.IDLTE(top)).
		Order(ent.Asc(changelog.FieldID)).Limit(pollBatch).All(sysContext(ctx))
	if err != nil {
		return err
	}
	for _, s := range subs {
		if s.stale {
			if err := h.e.loadSubscriber(ctx, s); err != nil {
				return err
			}
		}
		if len(entries) == pollBatch {
			s.send(EventChanged)
			continue
		}
		for _, en := range entries {
			if ev := s.match(en); ev != "" {
				s.send(ev)
				if ev == EventReset {
					break
				}
			}
		}
	}
	h.mu.Lock()
	if top > h.last {
		h.last = top
	}
	h.mu.Unlock()
	return nil
}

// send queues an event; a reset wins over a pending changed.
func (s *subscriber) send(ev string) {
	for {
		select {
		case s.events <- ev:
			return
		default:
		}
		select {
		case old := <-s.events:
			if old == EventReset {
				ev = EventReset
			}
		default:
		}
	}
}

// match says which event, if any, an entry means for the stream.
func (s *subscriber) match(en *ent.ChangeLog) string {
	is := func(id *uuid.UUID, want uuid.UUID) bool { return id != nil && *id == want }
	switch {
	case en.Collection == store.ToolkitItems:
		return EventChanged
	case en.Collection == store.Notifications:
		if is(en.AgentID, s.agent) || is(en.PrevAgentID, s.agent) {
			return EventChanged
		}
	case en.Collection == store.Agents:
		if en.RecordID == s.agent && s.lead {
			return EventReset
		}
		if s.lead && (is(en.TeamID, s.team) || is(en.PrevTeamID, s.team)) {
			s.stale = true
			return EventChanged
		}
	case s.admin && unitCollections[en.Collection]:
		return EventChanged
	case unitCollections[en.Collection] && en.CustomerID != nil:
		c := *en.CustomerID
		if en.Collection == store.Customers && (en.PrevAgentID != nil || en.Op == changelog.OpDelete) {
			was := s.book[c]
			now := en.Op != changelog.OpDelete && en.AgentID != nil && s.owns(*en.AgentID)
			if now {
				s.book[c] = true
			} else {
				delete(s.book, c)
			}
			if was || now {
				return EventChanged
			}
			return ""
		}
		if en.Collection == store.Customers && en.Op != changelog.OpDelete && !s.book[c] && en.AgentID != nil && s.owns(*en.AgentID) {
			s.book[c] = true // a new customer of the book
		}
		if s.book[c] {
			return EventChanged
		}
	}
	return ""
}

func (s *subscriber) owns(agentID uuid.UUID) bool {
	return agentID == s.agent || (s.lead && s.members[agentID])
}

// loadSubscriber reads a stream's scope: the team and the book.
func (e *Engine) loadSubscriber(ctx context.Context, s *subscriber) error {
	sys := sysContext(ctx)
	a, err := e.db.Client.Agent.Get(sys, s.agent)
	if err != nil {
		return fmt.Errorf("load agent: %w", err)
	}
	s.admin = a.Role == agent.RoleAdmin
	s.lead = a.Role == agent.RoleTeamLead && a.TeamID != nil
	s.members, s.book = map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	if s.admin {
		s.stale = false
		return nil
	}
	owners := []uuid.UUID{s.agent}
	if s.lead {
		s.team = *a.TeamID
		ids, err := e.db.Client.Agent.Query().Where(agent.TeamID(s.team)).IDs(sys)
		if err != nil {
			return fmt.Errorf("load team: %w", err)
		}
		for _, id := range ids {
			s.members[id] = true
		}
		owners = append(owners, ids...)
	}
	book, err := e.db.Client.Customer.Query().Where(customer.AgentIDIn(owners...)).IDs(sys)
	if err != nil {
		return fmt.Errorf("load book: %w", err)
	}
	for _, id := range book {
		s.book[id] = true
	}
	s.stale = false
	return nil
}

// Subscription is the change-notice stream of one caller.
type Subscription struct {
	e     *Engine
	ctx   context.Context
	s     *subscriber
	epoch int64
	once  sync.Once
}

// Subscribe registers a stream of change notices for the caller on ctx
// (an agent). Serve then writes it; Close unregisters it.
func (e *Engine) Subscribe(ctx context.Context) (*Subscription, error) {
	sc, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	s := &subscriber{agent: sc.agent.ID, events: make(chan string, 1)}
	if err := e.loadSubscriber(ctx, s); err != nil {
		return nil, err
	}
	if err := e.hub.add(s); err != nil {
		return nil, apperr.Unavailable(err.Error())
	}
	return &Subscription{e: e, ctx: ctx, s: s, epoch: sc.agent.ScopeEpoch}, nil
}

// Close unregisters the stream.
func (sub *Subscription) Close() { sub.once.Do(func() { sub.e.hub.remove(sub.s) }) }

// Serve writes the change notices as server-sent events (openapi.yaml:
// changed, heartbeat, reset), calling flush after each, until the
// subscription's ctx ends, the engine closes (the server shuts down),
// MaxStream passes (the client reconnects with a fresh token) or a reset
// was sent. A changed event says, without data, that the caller's scope
// has news (at most one a second); a reset that the client must pull from
// the start (the database was restored, or the caller's role changed).
// It closes the subscription.
func (sub *Subscription) Serve(w io.Writer, flush func()) error {
	defer sub.Close()
	e, s := sub.e, sub.s
	write := func(ev string) error {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: {}\n\n", ev); err != nil {
			return err
		}
		flush()
		return nil
	}
	if err := write(EventHeartbeat); err != nil {
		return nil
	}
	beat := time.NewTicker(e.opts.Heartbeat)
	defer beat.Stop()
	end := time.NewTimer(e.opts.MaxStream)
	defer end.Stop()
	var lastChanged time.Time
	var holdC <-chan time.Time
	for {
		select {
		case <-sub.ctx.Done():
			return nil
		case <-e.closed:
			return nil
		case <-end.C:
			return nil
		case <-beat.C:
			a, err := e.db.Client.Agent.Get(sysContext(sub.ctx), s.agent)
			if err != nil || a.Disabled || a.ScopeEpoch != sub.epoch {
				_ = write(EventReset)
				return nil
			}
			if err := write(EventHeartbeat); err != nil {
				return nil
			}
		case ev := <-s.events:
			if ev == EventReset {
				_ = write(EventReset)
				return nil
			}
			// Pacing, not business time: the wall clock is right here.
			if wait := changedEvery - time.Since(lastChanged); wait > 0 {
				if holdC == nil {
					holdC = time.After(wait)
				}
				continue
			}
			lastChanged = time.Now()
			if err := write(EventChanged); err != nil {
				return nil
			}
		case <-holdC:
			holdC = nil
			lastChanged = time.Now()
			if err := write(EventChanged); err != nil {
				return nil
			}
		}
	}
}

// Stream subscribes and serves in one call.
func (e *Engine) Stream(ctx context.Context, w io.Writer, flush func()) error {
	sub, err := e.Subscribe(ctx)
	if err != nil {
		return err
	}
	return sub.Serve(w, flush)
}
