package httpapi

import (
	"context"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/quality"
)

// GetWorkingCalendar lists a year's exceptions to the Monday–Friday rule
// (admins). The year defaults to the current one in the calendar's zone.
func (s *Server) GetWorkingCalendar(ctx context.Context, req api.GetWorkingCalendarRequestObject) (api.GetWorkingCalendarResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	// Another replica's edits arrive through the database.
	if err := s.calendar.Refresh(ctx); err != nil {
		return nil, err
	}
	year := s.clock.Now().In(s.calendar.Location()).Year()
	if req.Params.Year != nil {
		year = int(*req.Params.Year)
	}
	days := s.calendar.Days(year)
	out := api.GetWorkingCalendar200JSONResponse{Year: int32(year), Days: make([]api.CalendarDay, 0, len(days))}
	for _, d := range days {
		out.Days = append(out.Days, calendarDayToAPI(d))
	}
	return out, nil
}

// SetCalendarDay makes a day a working day or not (admins); the complaint
// clocks started afterwards count with it.
func (s *Server) SetCalendarDay(ctx context.Context, req api.SetCalendarDayRequestObject) (api.SetCalendarDayResponseObject, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	d, err := s.calendar.SetDay(ctx, req.Date.Time, req.Body.WorkingDay, derefString(req.Body.Note))
	if err != nil {
		return nil, denied(err)
	}
	return api.SetCalendarDay200JSONResponse(calendarDayToAPI(d)), nil
}

// requireAdmin refuses callers other than admins. The access rules would
// refuse their writes too, but the cached calendar is read without them.
func requireAdmin(ctx context.Context) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	if !v.IsAdmin() {
		return apperr.Forbidden("this operation requires the admin role")
	}
	return nil
}

func calendarDayToAPI(d quality.Day) api.CalendarDay {
	return api.CalendarDay{Date: openapi_types.Date{Time: d.Date}, WorkingDay: d.WorkingDay, Note: nullIfEmpty(d.Note)}
}
