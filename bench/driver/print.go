package driver

import (
	"fmt"
	"io"
	"slices"
)

func kb(b float64) string {
	switch {
	case b >= 1e6:
		return fmt.Sprintf("%.2f MB", b/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.1f KB", b/1e3)
	}
	return fmt.Sprintf("%.0f B", b)
}

func msd(d Dist) string {
	return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms (n=%d)", d.P50, d.P99, d.N)
}

// Print writes the report, one figure a line (MB = 10^6 bytes).
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "page format: %s\n", r.Format)
	for _, f := range r.FirstSync {
		fmt.Fprintf(w, "first sync %-4s whole:     %s on the wire (p99 %s) in %d requests, %d records (%s of JSON); server %s; link %.1f s\n",
			f.Encoding, kb(f.WholeBytes.P50), kb(f.WholeBytes.P99), f.WholeRequests, f.Records, kb(float64(f.DecodedBytes)),
			msd(f.WholeServerMS), f.WholeLinkSeconds)
		fmt.Fprintf(w, "first sync %-4s essential: %s on the wire (p99 %s) in %d requests; server %s; link %.1f s\n",
			f.Encoding, kb(f.EssentialBytes.P50), kb(f.EssentialBytes.P99), f.EssentialRequests, msd(f.EssentialServerMS),
			f.EssentialLinkSeconds)
	}
	colls := make([]string, 0, len(r.CollectionJSONBytes))
	for c := range r.CollectionJSONBytes {
		colls = append(colls, c)
	}
	slices.Sort(colls)
	fmt.Fprint(w, "records' JSON by collection:")
	for _, c := range colls {
		fmt.Fprintf(w, " %s %s;", c, kb(float64(r.CollectionJSONBytes[c])))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "reference, %s:\n", r.ReferenceTool)
	if r.SourceJSONBytes > 0 {
		fmt.Fprintf(w, "  datagen records of the book, minimal JSON: %s → %s\n", kb(float64(r.SourceJSONBytes)), kb(float64(r.SourceZstd19)))
	}
	fmt.Fprintf(w, "  records as delivered, minimal JSON:        %s → %s\n", kb(float64(r.DeliveredJSONBytes)), kb(float64(r.DeliveredZstd19)))
	fmt.Fprintf(w, "no-change pull (200):     %s on the wire with headers both ways, body %s; %s\n", kb(r.NoChangeBytes.P50),
		kb(r.NoChangeBody.P50), msd(r.NoChangeMS))
	fmt.Fprintf(w, "no-change pull (304):     %s on the wire with headers both ways; %s\n", kb(r.NotModifiedBytes.P50), msd(r.NotModifiedMS))
	fmt.Fprintf(w, "pull after 1%% changed (%d customers): %s (p99 %s), %.0f changes; %s\n", r.ChangedCustomers,
		kb(r.ChangedPullBytes.P50), kb(r.ChangedPullBytes.P99), r.ChangedPullChanges.P50, msd(r.ChangedPullMS))
	fmt.Fprintf(w, "push of 100 mutations:    %s\n", msd(r.Push100MS))
	fmt.Fprintf(w, "delta pulls, %d agents:  %.0f req/s, %s, %d errors\n", r.ThroughputAgents, r.ThroughputRPS,
		msd(r.ThroughputMS), r.ThroughputErrors)
	fmt.Fprintf(w, "service plan, large customer: %s\n", msd(r.PlanMS))
	fmt.Fprintf(w, "portrait, large customer:     %s\n", msd(r.PortraitMS))
	fmt.Fprintf(w, "KPI report, team of 20, quarter: %s\n", msd(r.KPIMS))
}
