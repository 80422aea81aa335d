package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// CSVContentType is the media type CSV writes.
const CSVContentType = "text/csv; charset=utf-8"

// CSV writes the report's KPIs as CSV (for Accept: text/csv): a header
// row, then one row per KPI with the columns of openapi.yaml's Kpi; a null
// value or met is an empty cell.
func CSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"key", "label", "value", "numerator", "denominator", "unit", "target", "comparison", "met"}); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for _, k := range r.KPIs {
		value, met := "", ""
		if k.Value != nil {
			value = num(*k.Value)
		}
		if k.Met != nil {
			met = strconv.FormatBool(*k.Met)
		}
		row := []string{string(k.Key), k.Label, value, num(k.Numerator), num(k.Denominator),
			string(k.Unit), num(k.Target), string(k.Comparison), met}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// num formats a number in its shortest exact form: 0.93, 465, 6.5.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
