package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/servermeta"
	"github.com/agentdesk/agentdesk/ent/syncmutation"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/store"
)

// The WatermelonDB adapter: the native pull and push in the shape of
// WatermelonDB's sync protocol (synchronize() of @nozbe/watermelondb).
//
// A pull is the native pull run to its end (every page) from the
// watermark the client passes as last_pulled_at, the changes split per
// table into created, updated and deleted; timestamp is the watermark.
// WatermelonDB logs an error for a record in created that the client
// holds and for one in updated that it does not, so the split follows
// what the client holds:
//
//   - created: the records that entered the client's scope with this
//     pull (a backfill: reassignment, team move) and the records made
//     after last_pulled_at (their first entry in the change log, which
//     compaction keeps until the retention expires it, is above it),
//     except those the client's device pushed itself (its push stored
//     them under its device id, as the native push does);
//   - updated: every other upsert;
//   - deleted: tombstones and records that left the scope.
//
// Records are flat raw records: the fields of the collection's REST
// schema as columns, objects and arrays as JSON text (see
// WatermelonJSONColumns).

// WatermelonMigration is WatermelonDB's migration sync info: the tables
// and columns that the client's schema migration added since From.
type WatermelonMigration struct {
	From    int                         `json:"from"`
	Tables  []string                    `json:"tables"`
	Columns []WatermelonMigrationColumn `json:"columns"`
}

// WatermelonMigrationColumn is one table's added columns.
type WatermelonMigrationColumn struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

// WatermelonPullRequest is a WatermelonDB pull.
type WatermelonPullRequest struct {
	// LastPulledAt is the timestamp of the previous pull; 0 on a first sync.
	LastPulledAt int64
	// DeviceID identifies the client's database (as in the native push):
	// records it pushed itself are never sent back as created.
	DeviceID uuid.UUID
	// SchemaVersion is the client's schema version; SchemaVersion when nil.
	SchemaVersion *int
	// Migration, when set, asks for every record of the added tables (as
	// created) and of the tables with added columns (as updated).
	Migration *WatermelonMigration
}

// WatermelonTable holds the changes of one table.
type WatermelonTable struct {
	Created []json.RawMessage `json:"created"`
	Updated []json.RawMessage `json:"updated"`
	Deleted []string          `json:"deleted"`
}

// WatermelonPull is the answer of a WatermelonDB pull.
type WatermelonPull struct {
	Changes   map[string]*WatermelonTable `json:"changes"`
	Timestamp int64                       `json:"timestamp"`
}

// wmChange is the latest change of a record within a WatermelonDB pull.
type wmChange struct {
	Change
	order int
}

// WatermelonPull answers a WatermelonDB pull for the caller (the viewer
// on ctx). A last_pulled_at older than the retention floor, or above the
// change log (a restored database), is apperr.Gone "sync-reset-required":
// the client resets its database and syncs from the start.
func (e *Engine) WatermelonPull(ctx context.Context, req WatermelonPullRequest) (*WatermelonPull, error) {
	if req.LastPulledAt < 0 {
		return nil, apperr.Invalid("last_pulled_at must not be negative",
			apperr.FieldError{Field: "last_pulled_at", Code: "minimum", Message: "must be 0 or more"})
	}
	// The records are the native ones (SchemaVersion), projected onto the
	// tables and columns of the client's WatermelonDB schema version.
	var schema int64 = SchemaVersion
	app, err := e.watermelonSchema(req.SchemaVersion)
	if err != nil {
		return nil, err
	}
	if err := checkMigration(req.Migration, e.opts.WatermelonSchemas, app); err != nil {
		return nil, err
	}
	s, err := e.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	start := ""
	known, err := e.wmEpochKnown(ctx, s, req.DeviceID, req.LastPulledAt == 0)
	if err != nil {
		return nil, err
	}
	if req.LastPulledAt > 0 {
		m, err := e.meta(ctx)
		if err != nil {
			return nil, err
		}
		top, err := e.maxSeq(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case !known:
			return nil, gone("the caller's role changed since this device's first sync (or the device is unknown): reset the database and sync from the start")
		case req.LastPulledAt < m.floor:
			return nil, gone("last_pulled_at is older than the tombstone retention: reset the database and sync from the start")
		case req.LastPulledAt > top:
			return nil, gone("last_pulled_at is ahead of the server's change log (the database was restored): reset the database and sync from the start")
		}
		start = encodeCursor(e.key, cursor{agent: s.agent.ID, era: m.era, epoch: s.agent.ScopeEpoch, schema: schema, w: req.LastPulledAt})
	}

	// Whole tables for a migration first: read before the incremental
	// pull, they are no newer than it, whose changes win.
	full := map[string]bool{}
	var whole []Change
	if req.Migration != nil && req.LastPulledAt > 0 {
		for _, t := range req.Migration.Tables {
			full[t] = true
		}
		for _, c := range req.Migration.Columns {
			full[c.Table] = true
		}
		whole, _, err = e.pullAll(ctx, "", schema)
		if err != nil {
			return nil, err
		}
	}
	changes, w, err := e.pullAll(ctx, start, schema)
	if err != nil {
		return nil, err
	}
	if w == 0 {
		return nil, apperr.Unavailable("the change log is empty: there is nothing to sync yet")
	}

	latest := map[changeKey]*wmChange{}
	add := func(c Change, order int) {
		k := changeKey{c.Collection, c.ID}
		if old, ok := latest[k]; ok && old.Entered && c.Op == OpUpsert {
			c.Entered = true
		}
		latest[k] = &wmChange{Change: c, order: order}
	}
	n := 0
	for _, c := range whole {
		if full[c.Collection] && c.Op == OpUpsert {
			add(c, n)
			n++
		}
	}
	for _, c := range changes {
		add(c, n)
		n++
	}

	created := map[changeKey]bool{}
	if req.LastPulledAt == 0 {
		for k, c := range latest {
			created[k] = c.Op == OpUpsert
		}
	} else if created, err = e.wmCreated(ctx, s.agent.ID, req, latest); err != nil {
		return nil, err
	}
	if _, ok := app.Tables[store.ToolkitItems]; ok {
		if err := e.wmToolkit(ctx, s.agent.ID, req, w, latest, created); err != nil {
			return nil, err
		}
	}

	out := &WatermelonPull{Changes: map[string]*WatermelonTable{}, Timestamp: w}
	for _, coll := range Collections {
		if _, ok := app.Tables[coll]; ok {
			out.Changes[coll] = &WatermelonTable{Created: []json.RawMessage{}, Updated: []json.RawMessage{}, Deleted: []string{}}
		}
	}
	ordered := make([]*wmChange, 0, len(latest))
	for _, c := range latest {
		ordered = append(ordered, c)
	}
	slices.SortFunc(ordered, func(a, b *wmChange) int { return a.order - b.order })
	for _, c := range ordered {
		t := out.Changes[c.Collection]
		if t == nil {
			continue
		}
		if c.Op == OpDelete {
			if req.LastPulledAt > 0 && !addedTable(req.Migration, c.Collection) {
				t.Deleted = append(t.Deleted, c.ID.String())
			}
			continue
		}
		raw, err := watermelonRaw(c.Data, app.Tables[c.Collection])
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", c.Collection, c.ID, err)
		}
		if created[changeKey{c.Collection, c.ID}] {
			t.Created = append(t.Created, raw)
		} else {
			t.Updated = append(t.Updated, raw)
		}
	}
	return out, nil
}

// wmEpochKnown says whether this device synced from the start under
// the caller's current scope epoch (its role). A native cursor carries
// the epoch; a last_pulled_at is a bare watermark, so the server
// remembers, per agent, device and epoch, that the device made a first
// sync under it (record, on a first sync): a device whose role changed
// since must reset, since a role change moves the scope without log
// entries of the records.
func (e *Engine) wmEpochKnown(ctx context.Context, s *scope, device uuid.UUID, record bool) (bool, error) {
	sys := sysContext(ctx)
	key := fmt.Sprintf("watermelon_epoch:%s:%s:%d", s.agent.ID, device, s.agent.ScopeEpoch)
	if record {
		err := e.db.Client.ServerMeta.Create().SetID(key).SetValue("first sync").SetUpdatedAt(e.clock.Now()).
			OnConflictColumns(servermeta.FieldID).DoNothing().Exec(sys)
		if err != nil && !isNoRows(err) {
			return false, fmt.Errorf("record the device's scope epoch: %w", err)
		}
		return true, nil
	}
	ok, err := e.db.Client.ServerMeta.Query().Where(servermeta.ID(key)).Exist(sys)
	if err != nil {
		return false, fmt.Errorf("read the device's scope epoch: %w", err)
	}
	return ok, nil
}

// addedTable says whether the migration added the table: the client has
// none of its records, so every one is created and no delete concerns it.
func addedTable(m *WatermelonMigration, table string) bool {
	return m != nil && slices.Contains(m.Tables, table)
}

// pullAll runs a native pull from start (a cursor, or "" for a snapshot)
// to its end and returns every change in order and the watermark.
func (e *Engine) pullAll(ctx context.Context, start string, schema int64) ([]Change, int64, error) {
	sv := int(schema)
	var out []Change
	cur := start
	for {
		p, err := e.Pull(ctx, PullRequest{Cursor: cur, Limit: MaxLimit, SchemaVersion: &sv})
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p.Changes...)
		cur = p.Cursor
		if !p.HasMore {
			break
		}
	}
	c, err := decodeCursor(e.key, cur)
	if err != nil {
		return nil, 0, fmt.Errorf("read the pull's watermark: %w", err)
	}
	return out, c.w, nil
}

// wmCreated decides which upserts of an incremental pull are created:
// records that entered the scope, and records first made after
// last_pulled_at that the client's device did not push itself.
func (e *Engine) wmCreated(ctx context.Context, me uuid.UUID, req WatermelonPullRequest, latest map[changeKey]*wmChange) (map[changeKey]bool, error) {
	out := map[changeKey]bool{}
	var ids []uuid.UUID
	for k, c := range latest {
		switch {
		case c.Op != OpUpsert:
		case c.Entered || addedTable(req.Migration, k.coll):
			out[k] = true
		default:
			ids = append(ids, k.id)
		}
	}
	sys := sysContext(ctx)
	made := map[uuid.UUID]bool{}
	pushed := map[uuid.UUID]bool{}
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		var rows []recordIDRow
		err := e.db.Client.ChangeLog.Query().Where(changelog.RecordIDIn(part...), creation(),
			changelog.IDGT(req.LastPulledAt)).Select(changelog.FieldRecordID).Scan(sys, &rows)
		if err != nil {
			return nil, fmt.Errorf("read record creations: %w", err)
		}
		for _, r := range rows {
			made[r.RecordID] = true
		}
		if req.DeviceID == uuid.Nil {
			continue
		}
		var mine []recordIDRow
		err = e.db.Client.SyncMutation.Query().Where(syncmutation.AgentID(me),
			syncmutation.DeviceID(req.DeviceID.String()), syncmutation.RecordIDIn(part...)).
			Select(syncmutation.FieldRecordID).Scan(sys, &mine)
		if err != nil {
			return nil, fmt.Errorf("read the device's pushes: %w", err)
		}
		for _, r := range mine {
			pushed[r.RecordID] = true
		}
	}
	for k, c := range latest {
		if c.Op == OpUpsert && made[k.id] && !pushed[k.id] {
			out[k] = true
		}
	}
	return out, nil
}

// Toolkit items reach agents by being published and leave by being
// retired: no log entry says that an item entered the scope, and its
// first entry may be older than the client's last pull (a draft). So the
// server keeps, per device, the toolkit items the device holds after each
// pull that changed them, keyed by the pull's timestamp; a pull from
// last_pulled_at T sends an item as created exactly when the device did
// not hold it after the pull that returned T (a repeated pull from T gets
// the same split). Without a record for T (a device synced before this
// was kept) the general rule stands.

// wmToolkitKey is the ServerMeta key of a device's toolkit items after the
// pull that returned ts; keys of a device sort by ts.
func wmToolkitKey(agent, device uuid.UUID, ts int64) string {
	return fmt.Sprintf("%s%020d", wmToolkitPrefix(agent, device), ts)
}

func wmToolkitPrefix(agent, device uuid.UUID) string {
	return fmt.Sprintf("watermelon_toolkit:%s:%s:", agent, device)
}

// wmToolkitKept is how many of a device's records are kept: enough for a
// client that repeats a pull or two.
const wmToolkitKept = 4

// wmToolkit corrects created for the toolkit items of a pull and records
// what the device holds after it (timestamp w).
func (e *Engine) wmToolkit(ctx context.Context, me uuid.UUID, req WatermelonPullRequest, w int64, latest map[changeKey]*wmChange, created map[changeKey]bool) error {
	if req.DeviceID == uuid.Nil {
		return nil
	}
	sys := sysContext(ctx)
	prefix := wmToolkitPrefix(me, req.DeviceID)
	held := map[uuid.UUID]bool{}
	// A first sync, or a migration that adds the table: the device holds none.
	fresh := req.LastPulledAt == 0 || addedTable(req.Migration, store.ToolkitItems)
	known := fresh
	if !known {
		// The device's record at or before T: the items did not change
		// between it and T.
		row, err := e.db.Client.ServerMeta.Query().Where(servermeta.IDGTE(prefix),
			servermeta.IDLTE(wmToolkitKey(me, req.DeviceID, req.LastPulledAt))).
			Order(ent.Desc(servermeta.FieldID)).First(sys)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("read the device's toolkit items: %w", err)
		default:
			var ids []uuid.UUID
			if err := json.Unmarshal([]byte(row.Value), &ids); err != nil {
				return fmt.Errorf("the device's toolkit items: %w", err)
			}
			for _, id := range ids {
				held[id] = true
			}
			known = true
		}
	}
	if !known {
		return nil
	}
	changed := fresh
	for k, c := range latest {
		if k.coll != store.ToolkitItems {
			continue
		}
		switch {
		case c.Op == OpUpsert:
			created[k] = !held[k.id]
			changed = changed || !held[k.id]
			held[k.id] = true
		case held[k.id]:
			delete(held, k.id)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(held))
	for id := range held {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	val, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	err = e.db.Client.ServerMeta.Create().SetID(wmToolkitKey(me, req.DeviceID, w)).SetValue(string(val)).SetUpdatedAt(now).
		OnConflictColumns(servermeta.FieldID).UpdateNewValues().Exec(sys)
	if err != nil {
		return fmt.Errorf("record the device's toolkit items: %w", err)
	}
	old, err := e.db.Client.ServerMeta.Query().Where(servermeta.IDGTE(prefix), servermeta.IDLT(prefix+"~")).
		Order(ent.Desc(servermeta.FieldID)).Offset(wmToolkitKept).IDs(sys)
	if err != nil || len(old) == 0 {
		return err
	}
	_, err = e.db.Client.ServerMeta.Delete().Where(servermeta.IDIn(old...)).Exec(sys)
	return err
}

// recordIDRow scans a record_id column.
type recordIDRow struct {
	RecordID uuid.UUID `json:"record_id"`
}

// WatermelonRaw turns a record's REST JSON into a WatermelonDB raw
// record: the same fields, objects and arrays as JSON text, and
// created_at and updated_at in milliseconds since the epoch (WatermelonDB
// reserves these two columns as numbers).
func WatermelonRaw(data json.RawMessage) (json.RawMessage, error) {
	return watermelonRaw(data, nil)
}

// watermelonRaw is WatermelonRaw keeping only cols (all when nil).
func watermelonRaw(data json.RawMessage, cols []string) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	for k, v := range fields {
		if cols != nil && !slices.Contains(cols, k) {
			delete(fields, k)
			continue
		}
		v = bytes.TrimSpace(v)
		if (k == "created_at" || k == "updated_at") && len(v) > 0 && v[0] == '"' {
			var ts time.Time
			if err := json.Unmarshal(v, &ts); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			fields[k] = strconv.AppendInt(nil, ts.UnixMilli(), 10)
			continue
		}
		if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
			s, err := json.Marshal(string(v))
			if err != nil {
				return nil, err
			}
			fields[k] = s
		}
	}
	return json.Marshal(fields)
}

// WatermelonColumns are the columns of each table's raw records: the
// fields of the collection's REST schema in openapi.yaml.
var WatermelonColumns = map[string][]string{
	store.Customers: {"id", "version", "agent_id", "external_id", "name", "phone", "id_number", "birth_date", "gender",
		"occupation", "income_band", "family", "health_notes", "risk_preference", "preferred_channel", "consent", "tags",
		"life_stage", "created_at", "updated_at"},
	store.Portraits: {"id", "version", "customer_id", "customer", "life_stage", "policies_summary", "coverage_gaps",
		"churn_risk", "last_contact_at", "open_complaints", "claims", "years_without_claim", "nps", "timeline",
		"computed_at", "created_at", "updated_at"},
	store.Policies: {"id", "version", "customer_id", "external_id", "number", "product_code", "product_name", "line",
		"insured_name", "holder_name", "premium_cents", "sum_assured_cents", "currency", "payment_frequency",
		"start_date", "next_premium_due_date", "renewal_date", "status", "created_at", "updated_at"},
	store.Interactions: {"id", "version", "customer_id", "agent_id", "channel", "type", "content", "result", "feedback",
		"received_at", "first_response_at", "answers_interaction_id", "task_id", "plan_step_id", "toolkit_item_ids",
		"created_at", "updated_at"},
	store.Tasks: {"id", "version", "customer_id", "agent_id", "plan_step_id", "scenario", "title", "description",
		"priority", "status", "due_at", "completed_at", "skip_reason", "toolkit_item_ids", "checklist", "created_at",
		"updated_at"},
	store.ServicePlans: {"id", "version", "customer_id", "generated_at", "rules_version", "steps", "created_at", "updated_at"},
	store.Complaints: {"id", "version", "customer_id", "agent_id", "policy_id", "status", "category", "severity",
		"summary", "details", "received_at", "acknowledged_at", "resolved_at", "closed_at", "escalated_at", "root_cause",
		"corrective_action", "resolution", "sla", "created_at", "updated_at"},
	store.ToolkitItems: {"id", "version", "key", "kind", "scenario", "tier", "locale", "title", "summary", "tags",
		"content", "status", "revision", "published_at", "created_at", "updated_at"},
	store.Notifications: {"id", "version", "agent_id", "customer_id", "policy_id", "kind", "title", "body", "data",
		"deep_link", "read_at", "created_at", "updated_at"},
}

// WatermelonJSONColumns are the columns that hold JSON text (the REST
// schema's objects and arrays), by table.
var WatermelonJSONColumns = map[string][]string{
	store.Customers:     {"family", "consent", "tags"},
	store.Portraits:     {"customer", "policies_summary", "coverage_gaps", "churn_risk", "claims", "nps", "timeline"},
	store.Interactions:  {"toolkit_item_ids"},
	store.Tasks:         {"toolkit_item_ids", "checklist"},
	store.ServicePlans:  {"steps"},
	store.Complaints:    {"sla"},
	store.ToolkitItems:  {"tags", "content"},
	store.Notifications: {"data"},
}
