package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

// rxdbStreamBatch is the batch size of the pull stream's events.
const rxdbStreamBatch = DefaultRxdbLimit

// RxdbResync is the data of the stream event that tells RxDB to run its
// pull from its own checkpoint (pull.stream$ emitting 'RESYNC').
const RxdbResync = `"RESYNC"`

// RxdbStream is RxDB's pull.stream$ for one collection of one caller,
// built on the change-notice hub: when the caller's scope has news, the
// stream pulls from its own position and sends the documents as events
// {"documents": […], "checkpoint": {…}}, each with an event id
// "<lwt>:<id>" (its checkpoint).
//
// A stream that starts without a position (a first connection, or a
// reconnection whose Last-Event-ID cannot be continued) first sends
// RESYNC: the client pulls from its checkpoint whatever happened while it
// was not connected, and the stream goes on from the log's current end. A
// reconnection with the Last-Event-ID of an earlier event continues from
// that event's checkpoint, so nothing of the gap is lost.
type RxdbStream struct {
	sub    *Subscription
	coll   string
	pos    int64
	after  uuid.UUID
	resync bool
}

// RxdbSubscribe opens the pull stream of coll for the caller on ctx;
// lastEventID is the Last-Event-ID header of a reconnection ("" if none).
func (e *Engine) RxdbSubscribe(ctx context.Context, coll string, schemaVersion int, lastEventID string) (*RxdbStream, error) {
	if err := checkRxdb(coll, schemaVersion); err != nil {
		return nil, err
	}
	sub, err := e.Subscribe(ctx)
	if err != nil {
		return nil, err
	}
	st := &RxdbStream{sub: sub, coll: coll, resync: true}
	top, err := e.maxSeq(ctx)
	if err != nil {
		sub.Close()
		return nil, err
	}
	st.pos = top + 1
	if lwt, id, ok := parseRxdbEventID(lastEventID); ok {
		m, err := e.meta(ctx)
		if err != nil {
			sub.Close()
			return nil, err
		}
		if lwt >= m.floor && lwt <= top {
			st.pos, st.after, st.resync = lwt, id, false
		}
	}
	return st, nil
}

// parseRxdbEventID reads an event id "<lwt>:<id>".
func parseRxdbEventID(s string) (int64, uuid.UUID, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, uuid.Nil, false
	}
	lwt, err := strconv.ParseInt(a, 10, 64)
	if err != nil || lwt <= 0 {
		return 0, uuid.Nil, false
	}
	id, err := uuid.Parse(b)
	if err != nil {
		return 0, uuid.Nil, false
	}
	return lwt, id, true
}

// Close unregisters the stream.
func (st *RxdbStream) Close() { st.sub.Close() }

// Serve writes the stream as server-sent events, calling flush after each,
// until the request ends, the server shuts down, MaxStream passes (the
// client reconnects with a fresh token) or the caller's scope was reset
// (a RESYNC is sent last: the client's next pull says what to do).
// Heartbeats are SSE comments, which RxDB's event source ignores.
func (st *RxdbStream) Serve(w io.Writer, flush func()) error {
	defer st.Close()
	sub := st.sub
	e, s := sub.e, sub.s
	write := func(id, data string) error {
		var err error
		if id != "" {
			_, err = fmt.Fprintf(w, "id: %s\ndata: %s\n\n", id, data)
		} else {
			_, err = fmt.Fprintf(w, "data: %s\n\n", data)
		}
		if err != nil {
			return err
		}
		flush()
		return nil
	}
	if st.resync {
		if err := write("", RxdbResync); err != nil {
			return nil
		}
	} else if _, err := fmt.Fprint(w, ": connected\n\n"); err != nil {
		return nil
	} else {
		flush()
		if err := st.catchUp(write); err != nil {
			return st.end(write, err)
		}
	}
	beat := time.NewTicker(e.opts.Heartbeat)
	defer beat.Stop()
	end := time.NewTimer(e.opts.MaxStream)
	defer end.Stop()
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
				_ = write("", RxdbResync)
				return nil
			}
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
			flush()
		case ev := <-s.events:
			if ev == EventReset {
				_ = write("", RxdbResync)
				return nil
			}
			if err := st.catchUp(write); err != nil {
				return st.end(write, err)
			}
		}
	}
}

// end closes a stream whose pull failed: a position that can no longer be
// served makes the client resync (and learn from its pull); a write error
// means the client went away.
func (st *RxdbStream) end(write func(id, data string) error, err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) || errors.Is(err, errStreamWrite) {
		if !errors.Is(err, errStreamWrite) {
			_ = write("", RxdbResync)
		}
		return nil
	}
	return err
}

var errStreamWrite = errors.New("write the stream")

// catchUp sends the documents after the stream's position, in batches.
func (st *RxdbStream) catchUp(write func(id, data string) error) error {
	e := st.sub.e
	ctx := st.sub.ctx
	for {
		s, err := e.scopeOf(ctx)
		if err != nil {
			return err
		}
		s.base = max(st.pos-1, 0)
		m, err := e.meta(ctx)
		if err != nil {
			return err
		}
		if st.pos < m.floor {
			return gone("the stream's position is older than the tombstone retention")
		}
		ss := e.newSession(s)
		docs, err := e.rxdbScan(ctx, ss, st.coll, st.pos, st.after, rxdbStreamBatch, m.floor)
		if err != nil {
			return err
		}
		if err := ss.audit(ctx, "GET /v1/sync/rxdb/"+st.coll+"/pullStream"); err != nil {
			return err
		}
		if len(docs) == 0 {
			return nil
		}
		last := docs[len(docs)-1]
		p := RxdbPage{Documents: make([]json.RawMessage, len(docs)), Checkpoint: &RxdbCheckpoint{ID: last.id.String(), LWT: last.lwt}}
		for i, d := range docs {
			p.Documents[i] = d.data
		}
		if err := write(fmt.Sprintf("%d:%s", last.lwt, last.id), string(p.AppendJSON(nil))); err != nil {
			return errStreamWrite
		}
		st.pos, st.after = last.lwt, last.id
		if len(docs) < rxdbStreamBatch {
			return nil
		}
	}
}
