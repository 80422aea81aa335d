package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// The WatermelonDB adapter of the sync protocol (package syncer,
// watermelon.go): translation only.

// watermelonPull writes a WatermelonDB pull, compressed as the client accepts.
type watermelonPull struct {
	h              *syncHTTP
	pull           *syncer.WatermelonPull
	acceptEncoding string
}

func (r watermelonPull) VisitPullWatermelonChangesResponse(w http.ResponseWriter) error {
	b, err := json.Marshal(r.pull)
	if err != nil {
		return err
	}
	body, enc := r.h.compress(b, r.acceptEncoding)
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("Cache-Control", "private, no-store")
	if enc != "" {
		hd.Set("Content-Encoding", enc)
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// PullWatermelonChanges answers synchronize()'s pullChanges.
func (s *Server) PullWatermelonChanges(ctx context.Context, req api.PullWatermelonChangesRequestObject) (api.PullWatermelonChangesResponseObject, error) {
	p := req.Params
	in := syncer.WatermelonPullRequest{DeviceID: p.DeviceId}
	if p.LastPulledAt != nil {
		in.LastPulledAt = *p.LastPulledAt
	}
	if p.SchemaVersion != nil {
		v := int(*p.SchemaVersion)
		in.SchemaVersion = &v
	}
	if p.Migration != nil && *p.Migration != "" && *p.Migration != "null" {
		m, err := parseWatermelonMigration(*p.Migration)
		if err != nil {
			return nil, err
		}
		in.Migration = m
	}
	pull, err := s.sync.engine.WatermelonPull(ctx, in)
	if err != nil {
		return nil, err
	}
	out := watermelonPull{h: s.sync, pull: pull}
	if p.AcceptEncoding != nil {
		out.acceptEncoding = *p.AcceptEncoding
	}
	return out, nil
}

// parseWatermelonMigration decodes WatermelonDB's migration sync info
// strictly: {"from": n, "tables": [...], "columns": [{"table", "columns"}]}.
func parseWatermelonMigration(s string) (*syncer.WatermelonMigration, error) {
	var m struct {
		From    *int                               `json:"from"`
		Tables  []string                           `json:"tables"`
		Columns []syncer.WatermelonMigrationColumn `json:"columns"`
	}
	if err := decodeStrict([]byte(s), &m); err != nil || m.From == nil {
		return nil, apperr.Invalid("migration is not WatermelonDB's migration sync info",
			apperr.FieldError{Field: "migration", Code: "invalid", Message: `must be JSON {"from": n, "tables": [...], "columns": [...]}`})
	}
	return &syncer.WatermelonMigration{From: *m.From, Tables: m.Tables, Columns: m.Columns}, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// watermelonPushed writes the result of a push.
type watermelonPushed struct {
	Rejected map[string][]string `json:"experimentalRejectedIds"`
}

func (r watermelonPushed) VisitPushWatermelonChangesResponse(w http.ResponseWriter) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// PushWatermelonChanges answers synchronize()'s pushChanges.
func (s *Server) PushWatermelonChanges(ctx context.Context, req api.PushWatermelonChangesRequestObject) (api.PushWatermelonChangesResponseObject, error) {
	if req.Body == nil {
		return nil, apperr.Invalid("a body is required")
	}
	in := syncer.WatermelonPushRequest{LastPulledAt: req.Params.LastPulledAt, DeviceID: req.Params.DeviceId,
		Changes: make(map[string]syncer.WatermelonPushTable, len(req.Body.Changes))}
	for table, tc := range req.Body.Changes {
		t := syncer.WatermelonPushTable{Deleted: tc.Deleted}
		var err error
		if t.Created, err = rawRecords(tc.Created, "/changes/"+table+"/created"); err != nil {
			return nil, err
		}
		if t.Updated, err = rawRecords(tc.Updated, "/changes/"+table+"/updated"); err != nil {
			return nil, err
		}
		in.Changes[table] = t
	}
	res, err := s.sync.engine.WatermelonPush(ctx, in)
	if err != nil {
		return nil, err
	}
	return watermelonPushed{Rejected: res.Rejected}, nil
}

// rawRecords re-encodes the decoded raw records of a push column by column.
func rawRecords(in []map[string]any, ptr string) ([]map[string]json.RawMessage, error) {
	out := make([]map[string]json.RawMessage, len(in))
	for i, rec := range in {
		out[i] = make(map[string]json.RawMessage, len(rec))
		for k, v := range rec {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, apperr.Invalid("a record is not JSON",
					apperr.FieldError{Field: fmt.Sprintf("%s/%d/%s", ptr, i, k), Code: "type", Message: "not JSON"})
			}
			out[i][k] = b
		}
	}
	return out, nil
}
