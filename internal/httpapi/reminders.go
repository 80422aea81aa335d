package httpapi

import (
	"context"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/push"
	"github.com/agentdesk/agentdesk/internal/report"
)

// defaultReminders is the reminder service of a handler built without one
// (tests of the HTTP layer alone): the default configuration, pushes to
// the log, no metrics. It serves the report; nothing runs it.
func defaultReminders(d Deps) (*push.Service, error) {
	return push.New(push.Deps{DB: d.DB, Clock: d.Clock, Logger: d.Logger}, push.DefaultConfig())
}

// GetReminderReport lists the premium and renewal dates of a period with
// the state of every reminder window: an agent's own customers, a team
// lead's team (or one member), an admin's or an integrator's (reports:read)
// whole book or the team or agent asked for. The period is calendar dates;
// from defaults to today in the caller's time zone, to to 30 days after
// from.
func (s *Server) GetReminderReport(ctx context.Context, req api.GetReminderReportRequestObject) (api.GetReminderReportResponseObject, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	scope, err := report.ResolveScope(ctx, s.db, report.Scope{TeamID: p.TeamId, AgentID: p.AgentId})
	if err != nil {
		return nil, unknownFilter(err)
	}
	y, m, d := s.clock.Now().In(viewerLocation(v)).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var to time.Time // the service's default: 30 days after from
	if p.From != nil {
		from = p.From.Time
	}
	if p.To != nil {
		to = p.To.Time
	}
	f := push.ReportFilter{TeamID: scope.TeamID, AgentID: scope.AgentID, Cursor: derefString(p.Cursor)}
	if p.Limit != nil {
		f.Limit = int(*p.Limit)
	}
	r, err := s.reminders.ReminderReport(ctx, from, to, f)
	if err != nil {
		return nil, denied(err)
	}
	return api.GetReminderReport200JSONResponse(reminderReportToAPI(r)), nil
}

func reminderReportToAPI(r *push.Report) api.ReminderReport {
	out := api.ReminderReport{Items: make([]api.ReminderItem, 0, len(r.Items)), NextCursor: r.NextCursor}
	for _, it := range r.Items {
		item := api.ReminderItem{
			PolicyId: it.PolicyID, CustomerId: it.CustomerID, CustomerName: it.CustomerName,
			PolicyNumber: it.PolicyNumber, DueKind: api.ReminderItemDueKind(it.DueKind),
			DueDate: openapi_types.Date{Time: it.DueDate}, AtRisk: it.AtRisk,
			Windows: make([]api.ReminderWindow, 0, len(it.Windows)),
		}
		for _, w := range it.Windows {
			win := api.ReminderWindow{
				WindowDays: int32(w.WindowDays), Recipient: api.ReminderWindowRecipient(w.Recipient),
				Status: api.ReminderStatus(w.Status), ScheduledFor: utcTime(w.ScheduledFor),
				SentAt: utcTime(w.SentAt), ErrorCode: w.ErrorCode,
			}
			if w.Channel != nil {
				ch := api.ReminderWindowChannel(*w.Channel)
				win.Channel = &ch
			}
			item.Windows = append(item.Windows, win)
		}
		out.Items = append(out.Items, item)
	}
	return out
}
