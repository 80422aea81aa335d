package httpapi

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/predicate"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/quality"
)

// ListComplaints lists the complaints in the caller's scope newest first:
// by received_at, then by ID, both descending.
func (s *Server) ListComplaints(ctx context.Context, req api.ListComplaintsRequestObject) (api.ListComplaintsResponseObject, error) {
	p := req.Params
	after, err := decodeTimeCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	q := s.db.Client.Complaint.Query()
	if p.CustomerId != nil {
		q.Where(complaint.CustomerID(*p.CustomerId))
	}
	if p.Status != nil {
		q.Where(complaint.StatusEQ(complaint.Status(*p.Status)))
	}
	if p.Breached != nil {
		if *p.Breached {
			q.Where(complaintBreached(now))
		} else {
			q.Where(complaint.Not(complaintBreached(now)))
		}
	}
	if p.UpdatedSince != nil {
		q.Where(complaint.UpdatedAtGTE(p.UpdatedSince.UTC()))
	}
	if after != nil {
		q.Where(complaint.Or(complaint.ReceivedAtLT(after.at),
			complaint.And(complaint.ReceivedAt(after.at), complaint.IDLT(after.id))))
	}
	limit := pageLimit(p.Limit)
	rows, err := q.Order(ent.Desc(complaint.FieldReceivedAt), ent.Desc(complaint.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list complaints: %w", err)
	}
	page := api.ListComplaints200JSONResponse{Items: make([]api.Complaint, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, complaintToAPI(r, now))
	}
	if len(rows) > limit {
		last := rows[limit-1]
		next := encodeTimeCursor(timeKey{at: last.ReceivedAt, id: last.ID})
		page.NextCursor = &next
	}
	return page, nil
}

// complaintBreached is the SQL form of quality.ComplaintSLA(c, now) ==
// quality.SLABreached: some clock stopped after its due time, or still
// runs past it.
func complaintBreached(now time.Time) predicate.Complaint {
	now = now.UTC()
	return predicate.Complaint(func(s *entsql.Selector) {
		clock := func(met, due string) *entsql.Predicate {
			return entsql.Or(
				entsql.And(entsql.NotNull(s.C(met)), entsql.ColumnsGT(s.C(met), s.C(due))),
				entsql.And(entsql.IsNull(s.C(met)), entsql.LT(s.C(due), now)),
			)
		}
		s.Where(entsql.Or(
			clock(complaint.FieldAcknowledgedAt, complaint.FieldAckDueAt),
			clock(complaint.FieldResolvedAt, complaint.FieldAnswerDueAt),
			clock(complaint.FieldClosedAt, complaint.FieldCloseDueAt),
		))
	})
}

// CreateComplaint records a complaint; its clocks start at received_at.
func (s *Server) CreateComplaint(ctx context.Context, req api.CreateComplaintRequestObject) (api.CreateComplaintResponseObject, error) {
	b := req.Body
	in := quality.ComplaintInput{
		ID: b.Id, CustomerID: b.CustomerId, PolicyID: b.PolicyId, Category: complaint.Category(b.Category),
		Summary: b.Summary, Details: derefString(b.Details), ReceivedAt: b.ReceivedAt,
	}
	if b.Severity != nil {
		in.Severity = complaint.Severity(*b.Severity)
	}
	c, err := s.quality.OpenComplaint(ctx, in)
	if err != nil {
		return nil, denied(err)
	}
	return api.CreateComplaint201JSONResponse{
		Body: complaintToAPI(c, s.clock.Now()),
		Headers: api.CreateComplaint201ResponseHeaders{
			ETag: customer.ETag(c.Version), Location: "/v1/complaints/" + c.ID.String(),
		},
	}, nil
}

// GetComplaint returns one complaint with its SLA state now.
func (s *Server) GetComplaint(ctx context.Context, req api.GetComplaintRequestObject) (api.GetComplaintResponseObject, error) {
	c, err := s.db.Client.Complaint.Get(ctx, req.Id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("complaint not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get complaint %s: %w", req.Id, err)
	}
	return api.GetComplaint200JSONResponse{Body: complaintToAPI(c, s.clock.Now()),
		Headers: api.GetComplaint200ResponseHeaders{ETag: customer.ETag(c.Version)}}, nil
}

// UpdateComplaint applies a transition and/or field changes; If-Match is
// the version the change is based on.
func (s *Server) UpdateComplaint(ctx context.Context, req api.UpdateComplaintRequestObject) (api.UpdateComplaintResponseObject, error) {
	base, err := baseVersion(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	var tr quality.ComplaintTransition
	if b.Transition != nil {
		tr = quality.ComplaintTransition(*b.Transition)
	}
	c, err := s.quality.TransitionComplaint(ctx, req.Id, base, tr, quality.ComplaintFields{
		Category:         enumPtr[complaint.Category](b.Category),
		Severity:         enumPtr[complaint.Severity](b.Severity),
		RootCause:        b.RootCause,
		CorrectiveAction: b.CorrectiveAction,
		Resolution:       b.Resolution,
	})
	if err != nil {
		return nil, denied(err)
	}
	return api.UpdateComplaint200JSONResponse{Body: complaintToAPI(c, s.clock.Now()),
		Headers: api.UpdateComplaint200ResponseHeaders{ETag: customer.ETag(c.Version)}}, nil
}

// enumPtr converts an optional enum of the API to the same enum of ent.
func enumPtr[T ~string, U ~string](v *U) *T {
	if v == nil {
		return nil
	}
	t := T(*v)
	return &t
}
