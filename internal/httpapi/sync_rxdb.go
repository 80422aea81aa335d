package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// The RxDB adapter of the sync protocol (package syncer, rxdb*.go): the
// change log in the layout of RxDB's HTTP replication.

// rxdbPullResponse writes a batch, compressed as the client accepts.
type rxdbPullResponse struct {
	h              *syncHTTP
	page           *syncer.RxdbPage
	acceptEncoding string
}

func (r rxdbPullResponse) VisitPullRxdbDocumentsResponse(w http.ResponseWriter) error {
	body, enc := r.h.compress(r.page.AppendJSON(make([]byte, 0, 1024)), r.acceptEncoding)
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("Cache-Control", "private, no-store")
	if enc != "" {
		hd.Set("Content-Encoding", enc)
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// PullRxdbDocuments is RxDB's pull handler for one collection.
func (s *Server) PullRxdbDocuments(ctx context.Context, req api.PullRxdbDocumentsRequestObject) (api.PullRxdbDocumentsResponseObject, error) {
	p := req.Params
	in := syncer.RxdbPullRequest{Collection: string(req.Collection), SchemaVersion: int(req.SchemaVersion)}
	switch {
	case p.Lwt != nil:
		in.Checkpoint = &syncer.RxdbCheckpoint{LWT: *p.Lwt}
		if p.Id != nil {
			in.Checkpoint.ID = *p.Id
		}
	case p.Id != nil && *p.Id != "":
		return nil, apperr.Invalid("a checkpoint needs its lwt", apperr.FieldError{Field: "lwt", Code: "required", Message: "required with id"})
	}
	if p.Limit != nil {
		in.Limit = int(*p.Limit)
	}
	page, err := s.sync.engine.RxdbPull(ctx, in)
	if err != nil {
		return nil, err
	}
	out := rxdbPullResponse{h: s.sync, page: page}
	if p.AcceptEncoding != nil {
		out.acceptEncoding = *p.AcceptEncoding
	}
	return out, nil
}

// rxdbPushResponse writes the conflicting documents.
type rxdbPushResponse []json.RawMessage

func (r rxdbPushResponse) VisitPushRxdbDocumentsResponse(w http.ResponseWriter) error {
	body, err := json.Marshal([]json.RawMessage(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// rxdbFields turns a validated document back into its JSON fields.
func rxdbFields(d *api.RxdbDocument) (map[string]json.RawMessage, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// PushRxdbDocuments is RxDB's push handler for one collection.
func (s *Server) PushRxdbDocuments(ctx context.Context, req api.PushRxdbDocumentsRequestObject) (api.PushRxdbDocumentsResponseObject, error) {
	if req.Body == nil {
		return nil, apperr.Invalid("a body is required")
	}
	rows := make([]syncer.RxdbRow, len(*req.Body))
	for i, r := range *req.Body {
		n, err := rxdbFields(&r.NewDocumentState)
		if err != nil {
			return nil, apperr.Invalid("a document is not JSON", apperr.FieldError{Field: fmt.Sprintf("/%d/newDocumentState", i), Code: "type", Message: "not JSON"})
		}
		a, err := rxdbFields(r.AssumedMasterState)
		if err != nil {
			return nil, apperr.Invalid("a document is not JSON", apperr.FieldError{Field: fmt.Sprintf("/%d/assumedMasterState", i), Code: "type", Message: "not JSON"})
		}
		rows[i] = syncer.RxdbRow{NewDocumentState: n, AssumedMasterState: a}
	}
	out, err := s.sync.engine.RxdbPush(ctx, string(req.Collection), int(req.SchemaVersion), rows)
	if err != nil {
		return nil, err
	}
	return rxdbPushResponse(out), nil
}

// rxdbStream writes RxDB's pull stream as server-sent events, flushing
// each at once (and telling proxies not to buffer).
type rxdbStream struct{ st *syncer.RxdbStream }

func (r rxdbStream) VisitStreamRxdbChangesResponse(w http.ResponseWriter) error {
	return serveEvents(w, r.st.Serve)
}

// StreamRxdbChanges is RxDB's pull.stream$ for one collection.
func (s *Server) StreamRxdbChanges(ctx context.Context, req api.StreamRxdbChangesRequestObject) (api.StreamRxdbChangesResponseObject, error) {
	last := ""
	if req.Params.LastEventID != nil {
		last = *req.Params.LastEventID
	}
	st, err := s.sync.engine.RxdbSubscribe(ctx, string(req.Collection), int(req.SchemaVersion), last)
	if err != nil {
		return nil, err
	}
	return rxdbStream{st: st}, nil
}
