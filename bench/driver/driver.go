package driver

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/agentdesk/agentdesk/bench/workload"
)

// Config says what to drive and how much.
type Config struct {
	BaseURL string
	// Username is the agent whose book the per-book scenarios use.
	Username, Password string
	// LeadUsername is the team lead of the KPI report (their team, 20 agents).
	LeadUsername string
	// LargeUsername owns LargeCustomer, of the plan and portrait figures.
	LargeUsername string
	LargeCustomer uuid.UUID
	// DataDir, when set, holds datagen's JSONL: the zstd-19 reference of
	// the book is computed from DatagenAgent's records there.
	DataDir, DatagenAgent string
	// Skip names scenarios after the first sync not to run: nochange,
	// changed, push, plan, kpi, throughput.
	Skip map[string]bool
	// HTTP2 speaks HTTP/2 without TLS (prior knowledge), as a phone speaks
	// HTTP/2 over TLS: repeated headers (the token, the cursor) shrink to a
	// few bytes (HPACK) after the first request on a connection.
	HTTP2 bool
	// Format is the pulls' page format: "" or "changes" (one object per
	// change), "columns" (batches column by column).
	Format string
	// Zstd is the zstd command for the level-19 reference ("" looks up
	// "zstd"; without one klauspost's best level stands in, and says so).
	Zstd string
	// NoReference skips the zstd-19 reference (minutes on a whole book).
	NoReference bool
	// Runs of the first sync (per encoding), of the 1 % change and of the
	// KPI report; Samples of the no-change pull, push, plan and portrait.
	Runs, Samples int
	// Concurrency agents pull for ThroughputFor (agent000…).
	Concurrency   int
	ThroughputFor time.Duration
	// ThroughputFirst is the index of the first agent account of the
	// throughput run besides the book's own device (agent001… by default;
	// accounts past the loaded books have an empty book and a quick first
	// sync, and a no-change pull costs the same whatever the book's size).
	ThroughputFirst int
	// KPI period.
	KPIFrom, KPITo string
	// Link of the computed first-sync time.
	LinkBitsPerSecond float64
	LinkRTT           time.Duration
	// Limit of a pull page: 50,000 (the most; pages are bounded in bytes
	// well before) when 0.
	Limit int
	Log   io.Writer
}

// Defaults fills what is unset.
func (c *Config) Defaults() {
	if c.Username == "" {
		c.Username = workload.AgentEmail(0)
	}
	if c.Password == "" {
		c.Password = workload.AgentPassword
	}
	if c.LeadUsername == "" {
		c.LeadUsername = fmt.Sprintf(workload.LeadFormat, 0)
	}
	if c.LargeUsername == "" {
		c.LargeUsername = workload.LargeUsername
	}
	if c.LargeCustomer == uuid.Nil {
		c.LargeCustomer = workload.LargeCustomerID
	}
	if c.DatagenAgent == "" {
		c.DatagenAgent = workload.AgentID(0)
	}
	if c.Runs <= 0 {
		c.Runs = 3
	}
	if c.Samples <= 0 {
		c.Samples = 200
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 200
	}
	if c.ThroughputFor <= 0 {
		c.ThroughputFor = 10 * time.Second
	}
	if c.KPIFrom == "" {
		c.KPIFrom, c.KPITo = "2026-04-01", "2026-06-30"
	}
	if c.LinkBitsPerSecond <= 0 {
		c.LinkBitsPerSecond = 1e6
	}
	if c.LinkRTT <= 0 {
		c.LinkRTT = 300 * time.Millisecond
	}
	if c.Limit <= 0 {
		c.Limit = 50000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Dist summarises samples.
type Dist struct {
	N             int
	P50, P99, Max float64
}

func dist(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s)) + 0.5)
		return s[min(max(i-1, 0), len(s)-1)]
	}
	return Dist{N: len(s), P50: q(0.5), P99: q(0.99), Max: s[len(s)-1]}
}

func ms(ds []time.Duration) Dist {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d) / float64(time.Millisecond)
	}
	return dist(xs)
}

// SyncFigures are one first sync's measures (medians over runs).
type SyncFigures struct {
	Encoding                               string
	WholeBytes, EssentialBytes             Dist // on the wire, both directions
	WholeRequests, EssentialRequests       int
	WholeServerMS, EssentialServerMS       Dist
	WholeLinkSeconds, EssentialLinkSeconds float64 // of the median bytes
	Records                                int
	DecodedBytes                           int // JSON bodies, decoded
}

// Report is every figure of a run.
type Report struct {
	// Format is the pulls' page format ("changes" or "columns").
	Format    string
	FirstSync []SyncFigures
	// CollectionJSONBytes are the records' JSON bytes by collection (the
	// first sync's last run).
	CollectionJSONBytes map[string]int
	// The physical reference: the book as minimal JSON, at zstd level 19.
	ReferenceTool                       string
	SourceJSONBytes, SourceZstd19       int64 // datagen's records of the book
	DeliveredJSONBytes, DeliveredZstd19 int64 // the records the pull delivered
	NoChangeBytes                       Dist  // 200 with a body: request and response, headers included
	NoChangeBody                        Dist  // its body as sent (zstd)
	NoChangeMS                          Dist
	NotModifiedBytes                    Dist // 304 with If-None-Match
	NotModifiedMS                       Dist
	ChangedCustomers                    int
	ChangedPullBytes                    Dist
	ChangedPullMS                       Dist
	ChangedPullChanges                  Dist
	Push100MS                           Dist
	ThroughputAgents                    int
	ThroughputRPS                       float64
	ThroughputMS                        Dist
	ThroughputErrors                    int
	PlanMS, PortraitMS                  Dist
	KPIMS                               Dist
}

// Run drives every scenario once against the server.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.Defaults()
	rep := &Report{Format: cmp.Or(cfg.Format, "changes")}
	c := newClient(cfg, 8)
	defer c.close()
	if err := c.login(ctx, cfg.Username, cfg.Password); err != nil {
		return nil, err
	}
	var last *syncResult
	for _, enc := range []string{"zstd", "gzip"} {
		var runs []*syncResult
		for i := range cfg.Runs {
			r, err := firstSync(ctx, cfg, enc)
			if err != nil {
				return nil, fmt.Errorf("first sync (%s): %w", enc, err)
			}
			fmt.Fprintf(cfg.Log, "first sync %s run %d: %d B in %d requests, %s; essential %d B in %d requests\n",
				enc, i+1, r.wholeBytes, r.wholeRequests, r.wholeTime.Round(time.Millisecond), r.essentialBytes, r.essentialRequests)
			runs = append(runs, r)
			last = r
		}
		rep.FirstSync = append(rep.FirstSync, summarizeSync(cfg, enc, runs))
	}
	rep.CollectionJSONBytes = last.byCollection
	if !cfg.NoReference {
		if err := reference(ctx, cfg, last, rep); err != nil {
			return nil, fmt.Errorf("zstd-19 reference: %w", err)
		}
	}
	fmt.Fprintf(cfg.Log, "reference (%s): source %d B → %d B, delivered %d B → %d B\n", rep.ReferenceTool,
		rep.SourceJSONBytes, rep.SourceZstd19, rep.DeliveredJSONBytes, rep.DeliveredZstd19)

	dev := &device{c: c, cursor: last.cursor, customers: last.customers}
	// Each scenario's figures are logged as soon as they are known, so a
	// long run that is interrupted still leaves them.
	for _, sc := range []struct {
		key, name string
		run       func() error
		show      func() string
	}{
		{"nochange", "no-change pull", func() error { return noChange(ctx, cfg, dev, rep) }, func() string {
			return fmt.Sprintf("%s wire, body %s; %s / 304: %s; %s", kb(rep.NoChangeBytes.P50), kb(rep.NoChangeBody.P50),
				msd(rep.NoChangeMS), kb(rep.NotModifiedBytes.P50), msd(rep.NotModifiedMS))
		}},
		{"changed", "pull after 1% changed", func() error { return changed(ctx, cfg, dev, rep) }, func() string {
			return fmt.Sprintf("%s, %.0f changes; %s", kb(rep.ChangedPullBytes.P50), rep.ChangedPullChanges.P50, msd(rep.ChangedPullMS))
		}},
		{"push", "push of 100", func() error { return push100(ctx, cfg, dev, rep) }, func() string { return msd(rep.Push100MS) }},
		{"plan", "plan and portrait", func() error { return planPortrait(ctx, cfg, rep) }, func() string {
			return "plan " + msd(rep.PlanMS) + "; portrait " + msd(rep.PortraitMS)
		}},
		{"kpi", "KPI report", func() error { return kpi(ctx, cfg, rep) }, func() string { return msd(rep.KPIMS) }},
		{"throughput", "throughput", func() error { return throughput(ctx, cfg, dev, rep) }, func() string {
			return fmt.Sprintf("%.0f req/s, %s, %d errors", rep.ThroughputRPS, msd(rep.ThroughputMS), rep.ThroughputErrors)
		}},
	} {
		if cfg.Skip[sc.key] {
			continue
		}
		if err := sc.run(); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Fprintf(cfg.Log, "%s: %s\n", sc.name, sc.show())
	}
	return rep, nil
}

type custVersion struct {
	id      string
	version int64
}

type syncResult struct {
	wholeBytes, essentialBytes       int64
	wholeRequests, essentialRequests int
	wholeTime, essentialTime         time.Duration
	records, decoded                 int
	cursor                           string
	delivered                        []byte // the records' JSON, one a line
	byCollection                     map[string]int
	customers                        []custVersion
}

// firstSync pulls a whole book on a fresh client: new connection, login
// excluded, every page until has_more is false.
func firstSync(ctx context.Context, cfg Config, enc string) (*syncResult, error) {
	c := newClient(cfg, 1)
	defer c.close()
	if err := c.login(ctx, cfg.Username, cfg.Password); err != nil {
		return nil, err
	}
	c.count.Take()
	r := &syncResult{byCollection: map[string]int{}}
	essential := false
	var buf bytes.Buffer
	cursor := ""
	for {
		resp, page, err := c.pull(ctx, cursor, cfg.Limit, enc, "")
		if err != nil {
			return nil, err
		}
		in, out := c.count.Take()
		r.wholeBytes += in + out
		r.wholeRequests++
		r.wholeTime += resp.elapsed
		r.decoded += len(resp.body)
		if !essential {
			r.essentialBytes, r.essentialRequests, r.essentialTime = r.wholeBytes, r.wholeRequests, r.wholeTime
			essential = page.EssentialComplete
		}
		for _, ch := range page.Changes {
			r.records++
			r.byCollection[ch.Collection] += len(ch.Data)
			buf.Write(ch.Data)
			buf.WriteByte('\n')
			if ch.Collection == "customers" && ch.Op == "upsert" {
				r.customers = append(r.customers, custVersion{ch.ID, ch.Version})
			}
		}
		cursor = page.Cursor
		if !page.HasMore {
			break
		}
	}
	if !essential {
		return nil, errors.New("the sync ended without essential_complete")
	}
	r.cursor, r.delivered = cursor, buf.Bytes()
	return r, nil
}

// linkSeconds is the time of a transfer on the reference link: the bytes
// at its bandwidth plus one round trip per request and two for the
// connection (TCP and TLS 1.3 handshakes).
func linkSeconds(cfg Config, bytes float64, requests int) float64 {
	return bytes*8/cfg.LinkBitsPerSecond + float64(requests+2)*cfg.LinkRTT.Seconds()
}

func summarizeSync(cfg Config, enc string, runs []*syncResult) SyncFigures {
	f := SyncFigures{Encoding: enc}
	var wb, eb []float64
	var wt, et []time.Duration
	for _, r := range runs {
		wb = append(wb, float64(r.wholeBytes))
		eb = append(eb, float64(r.essentialBytes))
		wt = append(wt, r.wholeTime)
		et = append(et, r.essentialTime)
	}
	last := runs[len(runs)-1]
	f.WholeBytes, f.EssentialBytes = dist(wb), dist(eb)
	f.WholeServerMS, f.EssentialServerMS = ms(wt), ms(et)
	f.WholeRequests, f.EssentialRequests = last.wholeRequests, last.essentialRequests
	f.WholeLinkSeconds = linkSeconds(cfg, f.WholeBytes.P50, f.WholeRequests)
	f.EssentialLinkSeconds = linkSeconds(cfg, f.EssentialBytes.P50, f.EssentialRequests)
	f.Records, f.DecodedBytes = last.records, last.decoded
	return f
}

// reference compresses the book's minimal JSON at zstd level 19: datagen's
// records of the agent (when DataDir is set) and the records the pull
// delivered.
func reference(ctx context.Context, cfg Config, last *syncResult, rep *Report) error {
	compress, tool, err := zstd19(cfg.Zstd)
	if err != nil {
		return err
	}
	rep.ReferenceTool = tool
	rep.DeliveredJSONBytes = int64(len(last.delivered))
	if rep.DeliveredZstd19, err = compress(ctx, last.delivered); err != nil {
		return err
	}
	if cfg.DataDir == "" {
		return nil
	}
	var buf bytes.Buffer
	for _, name := range []string{"customers", "policies", "interactions", "tasks"} {
		err := workload.ReadJSONL(cfg.DataDir, name, func(m *map[string]any) error {
			if (*m)["agent"] != cfg.DatagenAgent {
				return nil
			}
			b, err := json.Marshal(*m)
			if err != nil {
				return err
			}
			buf.Write(b)
			buf.WriteByte('\n')
			return nil
		})
		if err != nil {
			return err
		}
	}
	rep.SourceJSONBytes = int64(buf.Len())
	rep.SourceZstd19, err = compress(ctx, buf.Bytes())
	return err
}

// zstd19 returns a level-19 compressor: the zstd command (the reference
// implementation) when there is one, else klauspost's best level, which is
// not level 19 and is named as such.
func zstd19(cmd string) (func(context.Context, []byte) (int64, error), string, error) {
	if cmd == "" {
		if p, err := exec.LookPath("zstd"); err == nil {
			cmd = p
		}
	}
	if cmd != "" {
		out, err := exec.Command(cmd, "--version").CombinedOutput()
		if err != nil {
			return nil, "", fmt.Errorf("%s --version: %w", cmd, err)
		}
		tool := "zstd -19 (" + string(bytes.TrimSpace(out)) + ")"
		return func(ctx context.Context, b []byte) (int64, error) {
			c := exec.CommandContext(ctx, cmd, "-19", "-q", "-c", "-T1")
			c.Stdin = bytes.NewReader(b)
			var n countWriter
			c.Stdout = &n
			if err := c.Run(); err != nil {
				return 0, fmt.Errorf("zstd -19: %w", err)
			}
			return int64(n), nil
		}, tool, nil
	}
	return func(_ context.Context, b []byte) (int64, error) {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		if err != nil {
			return 0, err
		}
		return int64(len(enc.EncodeAll(b, nil))), nil
	}, "klauspost/compress SpeedBestCompression (NOT zstd level 19: no zstd command found)", nil
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

// device is the phone of the book after its first sync.
type device struct {
	c         *client
	cursor    string
	customers []custVersion
}

func noChange(ctx context.Context, cfg Config, d *device, rep *Report) error {
	var b, body, nb []float64
	var t, nt []time.Duration
	var etag string
	for range cfg.Samples {
		d.c.count.Take()
		resp, page, err := d.c.pull(ctx, d.cursor, 0, "zstd", "")
		if err != nil {
			return err
		}
		in, out := d.c.count.Take()
		if page == nil || len(page.Changes) != 0 || page.HasMore {
			return fmt.Errorf("a no-change pull returned changes (status %d)", resp.status)
		}
		b = append(b, float64(in+out))
		body = append(body, float64(len(resp.raw)))
		t = append(t, resp.elapsed)
		etag = resp.header.Get("ETag")
	}
	if etag == "" {
		return errors.New("no ETag on a pull")
	}
	for range cfg.Samples {
		d.c.count.Take()
		resp, _, err := d.c.pull(ctx, d.cursor, 0, "zstd", etag)
		if err != nil {
			return err
		}
		in, out := d.c.count.Take()
		if resp.status != http.StatusNotModified {
			return fmt.Errorf("If-None-Match with the ETag answered %d, want 304", resp.status)
		}
		nb = append(nb, float64(in+out))
		nt = append(nt, resp.elapsed)
	}
	rep.NoChangeBytes, rep.NoChangeBody, rep.NoChangeMS = dist(b), dist(body), ms(t)
	rep.NotModifiedBytes, rep.NotModifiedMS = dist(nb), ms(nt)
	return nil
}

type mutation struct {
	MutationID  string         `json:"mutation_id"`
	Collection  string         `json:"collection"`
	Op          string         `json:"op"`
	ID          string         `json:"id"`
	BaseVersion int64          `json:"base_version"`
	Data        map[string]any `json:"data,omitempty"`
}

type pushResult struct {
	Results []struct {
		MutationID string `json:"mutation_id"`
		Status     string `json:"status"`
		Version    int64  `json:"version"`
	} `json:"results"`
}

func push(ctx context.Context, c *client, device uuid.UUID, ms []mutation) (*response, *pushResult, error) {
	r, err := c.do(ctx, http.MethodPost, "/v1/sync/push", map[string]any{"device_id": device, "mutations": ms}, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := r.expect("push", http.StatusOK); err != nil {
		return nil, nil, err
	}
	var pr pushResult
	if err := json.Unmarshal(r.body, &pr); err != nil {
		return nil, nil, err
	}
	for _, res := range pr.Results {
		if res.Status != "applied" && res.Status != "merged" {
			return nil, nil, fmt.Errorf("mutation %s: %s", res.MutationID, res.Status)
		}
	}
	return r, &pr, nil
}

var lifeStages = []string{"single", "married", "young_family", "mature_family", "empty_nest", "retired"}
var incomeBands = []string{"low", "lower_middle", "middle", "upper_middle", "high"}

// changed edits 1 % of the book's customers from another device (notes,
// income band, life stage: datagen's update step) and measures the book's
// phone pulling them, Runs times over different customers.
func changed(ctx context.Context, cfg Config, d *device, rep *Report) error {
	other := newClient(cfg, 1)
	defer other.close()
	if err := other.login(ctx, cfg.Username, cfg.Password); err != nil {
		return err
	}
	n := max(len(d.customers)/100, 1)
	rep.ChangedCustomers = n
	// Seeded from the clock: a repeated run on the same database must
	// change the customers again, not write the values they already hold.
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	dev := uuid.New()
	var b, cnt []float64
	var t []time.Duration
	for round := range cfg.Runs {
		var muts []mutation
		for i := range n {
			k := (round*n + i) % len(d.customers)
			cv := &d.customers[k]
			muts = append(muts, mutation{MutationID: uuid.NewString(), Collection: "customers", Op: "upsert", ID: cv.id,
				BaseVersion: cv.version, Data: map[string]any{
					"health_notes": fmt.Sprintf("【%d次更新】", round+1) + text(rnd, 190),
					"income_band":  incomeBands[rnd.IntN(len(incomeBands))],
					"life_stage":   lifeStages[rnd.IntN(len(lifeStages))],
				}})
		}
		_, pr, err := push(ctx, other, dev, muts)
		if err != nil {
			return err
		}
		for i, res := range pr.Results {
			d.customers[(round*n+i)%len(d.customers)].version = res.Version
		}
		d.c.count.Take()
		var bytes int64
		var took time.Duration
		changes := 0
		for {
			resp, page, err := d.c.pull(ctx, d.cursor, 0, "zstd", "")
			if err != nil {
				return err
			}
			in, out := d.c.count.Take()
			bytes += in + out
			took += resp.elapsed
			changes += len(page.Changes)
			d.cursor = page.Cursor
			if !page.HasMore {
				break
			}
		}
		if changes < n {
			return fmt.Errorf("pulled %d changes after %d customers changed", changes, n)
		}
		b = append(b, float64(bytes))
		t = append(t, took)
		cnt = append(cnt, float64(changes))
	}
	rep.ChangedPullBytes, rep.ChangedPullMS, rep.ChangedPullChanges = dist(b), ms(t), dist(cnt)
	return nil
}

// text is Chinese-like filler of n runes from datagen's vocabulary.
func text(r *rand.Rand, n int) string {
	words := []string{"客户", "家庭", "保单", "续保", "理赔", "医疗", "重疾", "年金", "预算", "方案", "体检", "回访",
		"已经", "希望", "考虑", "确认", "提醒", "跟进", "孩子", "父母", "收入", "房贷", "保额", "条款", "。", "，"}
	out := make([]rune, 0, n+4)
	for len(out) < n {
		out = append(out, []rune(words[r.IntN(len(words))])...)
	}
	return string(out[:n])
}

// push100 pushes 100 new interactions (an offline day's notes) per request.
func push100(ctx context.Context, cfg Config, d *device, rep *Report) error {
	rnd := rand.New(rand.NewPCG(3, 4))
	dev := uuid.New()
	var t []time.Duration
	samples := max(cfg.Samples/10, 3)
	for s := range samples {
		muts := make([]mutation, 100)
		for i := range muts {
			cv := d.customers[(s*100+i)%len(d.customers)]
			id, _ := uuid.NewV7()
			muts[i] = mutation{MutationID: uuid.NewString(), Collection: "interactions", Op: "upsert", ID: id.String(),
				Data: map[string]any{"customer_id": cv.id, "channel": "wechat", "type": "revisit",
					"content": text(rnd, 300), "received_at": time.Now().UTC().Format(time.RFC3339)}}
		}
		resp, _, err := push(ctx, d.c, dev, muts)
		if err != nil {
			return err
		}
		t = append(t, resp.elapsed)
	}
	rep.Push100MS = ms(t)
	return nil
}

func planPortrait(ctx context.Context, cfg Config, rep *Report) error {
	c := newClient(cfg, 1)
	defer c.close()
	if err := c.login(ctx, cfg.LargeUsername, cfg.Password); err != nil {
		return err
	}
	for _, x := range []struct {
		path string
		out  *Dist
	}{{"/service-plan", &rep.PlanMS}, {"/portrait", &rep.PortraitMS}} {
		var t []time.Duration
		for range cfg.Samples {
			r, err := c.do(ctx, http.MethodGet, "/v1/customers/"+cfg.LargeCustomer.String()+x.path, nil, nil)
			if err != nil {
				return err
			}
			if err := r.expect(x.path, http.StatusOK); err != nil {
				return err
			}
			t = append(t, r.elapsed)
		}
		*x.out = ms(t)
	}
	return nil
}

func kpi(ctx context.Context, cfg Config, rep *Report) error {
	c := newClient(cfg, 1)
	defer c.close()
	if err := c.login(ctx, cfg.LeadUsername, cfg.Password); err != nil {
		return err
	}
	r, err := c.do(ctx, http.MethodGet, "/v1/me", nil, nil)
	if err != nil {
		return err
	}
	if err := r.expect("me", http.StatusOK); err != nil {
		return err
	}
	var me struct {
		TeamID string `json:"team_id"`
	}
	if err := json.Unmarshal(r.body, &me); err != nil || me.TeamID == "" {
		return fmt.Errorf("team of %s: %v", cfg.LeadUsername, err)
	}
	q := url.Values{"team_id": {me.TeamID}, "from": {cfg.KPIFrom}, "to": {cfg.KPITo}}
	var t []time.Duration
	for range cfg.Runs {
		r, err := c.do(ctx, http.MethodGet, "/v1/reports/kpis?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		if err := r.expect("kpis", http.StatusOK); err != nil {
			return err
		}
		t = append(t, r.elapsed)
	}
	rep.KPIMS = ms(t)
	return nil
}

// throughput has Concurrency agents (agent000…, each on its own
// connection, after its first sync) pull with their cursors as fast as
// the server answers, for ThroughputFor.
func throughput(ctx context.Context, cfg Config, d *device, rep *Report) error {
	n := cfg.Concurrency
	clients := make([]*client, n)
	cursors := make([]string, n)
	clients[0], cursors[0] = d.c, d.cursor
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := 1; i < n; i++ {
		g.Go(func() error {
			c := newClient(cfg, 1)
			if err := c.login(gctx, workload.AgentEmail(cfg.ThroughputFirst+i), cfg.Password); err != nil {
				return err
			}
			cursor := ""
			for {
				_, page, err := c.pull(gctx, cursor, cfg.Limit, "zstd", "")
				if err != nil {
					return err
				}
				cursor = page.Cursor
				if !page.HasMore {
					break
				}
			}
			clients[i], cursors[i] = c, cursor
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("first syncs of %d agents: %w", n, err)
	}
	defer func() {
		for _, c := range clients[1:] {
			c.close()
		}
	}()
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
	)
	runCtx, cancel := context.WithTimeout(ctx, cfg.ThroughputFor)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for runCtx.Err() == nil {
				resp, _, err := clients[i].pull(runCtx, cursors[i], 0, "zstd", "")
				if err != nil {
					if runCtx.Err() == nil {
						bad++
					}
					continue
				}
				mine = append(mine, resp.elapsed)
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	el := time.Since(start)
	rep.ThroughputAgents = n
	rep.ThroughputRPS = float64(len(lat)) / el.Seconds()
	rep.ThroughputMS = ms(lat)
	rep.ThroughputErrors = errs
	if len(lat) == 0 {
		return errors.New("no pull succeeded")
	}
	return nil
}
