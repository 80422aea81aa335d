package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/customer"
)

// ListAuditEntries pages through the audit trail, newest first (admins).
func (s *Server) ListAuditEntries(ctx context.Context, req api.ListAuditEntriesRequestObject) (api.ListAuditEntriesResponseObject, error) {
	p := req.Params
	f := audit.Filter{From: p.From, To: p.To}
	if p.ActorId != nil {
		f.ActorID = p.ActorId.String()
	}
	if p.SubjectId != nil {
		f.SubjectID = p.SubjectId.String()
	}
	if p.Cursor != nil {
		before, err := customer.DecodeCursor(*p.Cursor)
		if err != nil {
			return nil, err
		}
		f.Before = &before
	}
	f.Limit = 50
	if p.Limit != nil {
		f.Limit = int(*p.Limit)
	}
	rows, err := s.audit.List(ctx, f)
	if err != nil {
		return nil, err
	}
	page := api.ListAuditEntries200JSONResponse{Items: make([]api.AuditEntry, 0, len(rows))}
	for _, e := range rows {
		page.Items = append(page.Items, auditToAPI(e))
	}
	if len(rows) == f.Limit {
		next := customer.EncodeCursor(rows[len(rows)-1].ID)
		page.NextCursor = &next
	}
	return page, nil
}

func auditToAPI(e *ent.AuditEntry) api.AuditEntry {
	out := api.AuditEntry{
		Id: e.ID, At: e.At.UTC(), ActorKind: api.AuditEntryActorKind(e.ActorKind), Action: e.Action,
		SubjectType: e.SubjectType, Fields: nonNilStrings(e.Fields),
	}
	if id, err := uuid.Parse(e.ActorID); err == nil {
		out.ActorId = &id
	}
	if id, err := uuid.Parse(e.SubjectID); err == nil {
		out.SubjectId = &id
	}
	if e.Reason != "" {
		out.Reason = &e.Reason
	}
	if e.RequestID != "" {
		out.RequestId = &e.RequestID
	}
	return out
}
