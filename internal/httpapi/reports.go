package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/report"
)

// GetKpiReport computes the service-quality KPIs over a period of whole
// days in the caller's time zone (from defaults to 30 days ago, to to
// yesterday), for the scope report.ResolveScope grants the caller; as CSV
// when the Accept header prefers text/csv.
func (s *Server) GetKpiReport(ctx context.Context, req api.GetKpiReportRequestObject) (api.GetKpiReportResponseObject, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	scope, err := report.ResolveScope(ctx, s.db, report.Scope{TeamID: p.TeamId, AgentID: p.AgentId})
	if err != nil {
		return nil, unknownFilter(err)
	}
	loc := viewerLocation(v)
	now := s.clock.Now()
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	from, to := today.AddDate(0, 0, -30), today.AddDate(0, 0, -1)
	if p.From != nil {
		from = p.From.Time
	}
	if p.To != nil {
		to = p.To.Time
	}
	r, err := report.KPIs(ctx, s.db, report.Query{Scope: scope, From: from, To: to, Location: loc, Now: now, Locale: v.Locale})
	if err != nil {
		return nil, err
	}
	if wantsCSV(requestFrom(ctx).header) {
		var b bytes.Buffer
		if err := report.CSV(&b, r); err != nil {
			return nil, err
		}
		return kpiCSV(b.Bytes()), nil
	}
	return api.GetKpiReport200JSONResponse(kpiReportToAPI(r)), nil
}

// kpiCSV is the CSV answer of GetKpiReport. It says its charset, which
// the generated text/csv response leaves out: the labels are Chinese.
type kpiCSV []byte

// VisitGetKpiReportResponse writes the CSV.
func (c kpiCSV) VisitGetKpiReportResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", report.CSVContentType)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(c)
	return err
}

// unknownFilter reports a team_id or agent_id that names no team or agent
// as a bad parameter: the contract answers this operation with 400, not
// 404 (ResolveScope says which one is missing first: the team).
func unknownFilter(err error) error {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindNotFound {
		return err
	}
	field := "agent_id"
	if strings.HasPrefix(e.Detail, "team") {
		field = "team_id"
	}
	return apperr.Invalid(e.Detail, apperr.FieldError{Field: field, Code: "not_found", Message: "names no " + strings.TrimSuffix(field, "_id")})
}

// viewerLocation is the caller's time zone; Asia/Shanghai when the caller
// has none (integrators) or an unknown one.
func viewerLocation(v *auth.Viewer) *time.Location {
	if v.TimeZone != "" {
		if loc, err := time.LoadLocation(v.TimeZone); err == nil {
			return loc
		}
	}
	return quality.DefaultLocation()
}

func kpiReportToAPI(r *report.Report) api.KpiReport {
	out := api.KpiReport{
		Scope:       api.ReportScope{TeamId: r.Scope.TeamID, AgentId: r.Scope.AgentID},
		From:        openapi_types.Date{Time: r.From},
		To:          openapi_types.Date{Time: r.To},
		GeneratedAt: r.GeneratedAt.UTC(),
		Kpis:        make([]api.Kpi, 0, len(r.KPIs)),
	}
	for _, k := range r.KPIs {
		out.Kpis = append(out.Kpis, api.Kpi{
			Key: api.KpiKey(k.Key), Label: k.Label, Value: k.Value, Numerator: k.Numerator, Denominator: k.Denominator,
			Unit: api.KpiUnit(k.Unit), Target: k.Target, Comparison: api.KpiComparison(k.Comparison), Met: k.Met,
		})
	}
	return out
}

// wantsCSV reports whether the Accept header prefers text/csv to
// application/json (RFC 9110 §12.5.1): the higher quality wins, then the
// more specific range, then the one listed first; a tie, or no Accept,
// answers JSON.
func wantsCSV(h http.Header) bool {
	csv, json := acceptRank(h, "text", "csv"), acceptRank(h, "application", "json")
	switch {
	case csv.q == 0:
		return false
	case csv.q != json.q:
		return csv.q > json.q
	case csv.specificity != json.specificity:
		return csv.specificity > json.specificity
	}
	return csv.position < json.position
}

// rank is how an Accept header ranks one media type.
type rank struct {
	q           float64
	specificity int // 3 type/subtype, 2 type/*, 1 */*, 0 no match
	position    int // of the matching range in the header
}

// acceptRank finds the most specific media range of the Accept header
// that matches typ/sub.
func acceptRank(h http.Header, typ, sub string) rank {
	best := rank{position: 1 << 30}
	pos := 0
	for _, line := range h.Values("Accept") {
		for _, part := range strings.Split(line, ",") {
			params := strings.Split(part, ";")
			mr := strings.ToLower(strings.TrimSpace(params[0]))
			if mr == "" {
				continue
			}
			pos++
			t, st, _ := strings.Cut(mr, "/")
			spec := 0
			switch {
			case t == typ && st == sub:
				spec = 3
			case t == typ && st == "*":
				spec = 2
			case t == "*" && st == "*":
				spec = 1
			}
			if spec <= best.specificity {
				continue
			}
			q := 1.0
			for _, p := range params[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			best = rank{q: q, specificity: spec, position: pos}
		}
	}
	return best
}
