package report_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/internal/report"
)

func TestCSV(t *testing.T) {
	r := &report.Report{KPIs: kpis(map[report.Key]row{
		report.FirstResponse12hRate:   v(0.93, 465, 500, true),
		report.ClaimAccepted3dRate:    v(0.8, 16, 20, false),
		report.ClaimClosureMedianDays: v(6.5, 20, 20, true),
		report.NPS:                    null(0, 0),
	})}
	r.KPIs[1].Label = "理赔 3 日受理率, \"标准\"" // quoted as CSV requires
	var sb strings.Builder
	if err := report.CSV(&sb, r); err != nil {
		t.Fatal(err)
	}
	want := `key,label,value,numerator,denominator,unit,target,comparison,met
first_response_12h_rate,12 小时内首次响应率,0.93,465,500,ratio,0.9,gte,true
claim_accepted_3d_rate,"理赔 3 日受理率, ""标准""",0.8,16,20,ratio,0.85,gte,false
claim_closure_median_days,理赔结案中位天数,6.5,20,20,days,7,lte,true
nps,净推荐值,,0,0,score,40,gte,
`
	if diff := cmp.Diff(want, sb.String()); diff != "" {
		t.Errorf("CSV mismatch (-want +got):\n%s", diff)
	}
}
