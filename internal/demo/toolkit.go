package demo

import (
	"time"

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/internal/domain"
)

type toolkitRow struct {
	id                                uuid.UUID
	key, kind, scenario, tier, locale string
	title, summary                    string
	tags                              []string
	status                            string
	revision                          int
	content                           domain.ToolkitContent
	publishedAt                       *time.Time
	createdAt, updatedAt              time.Time
	revisions                         []*revisionRow
}

type revisionRow struct {
	number         int
	status         string
	title, summary string
	tags           []string
	content        domain.ToolkitContent
	publishedAt    *time.Time
	createdAt      time.Time
}

// usable reports whether agents can use the item: published, in Chinese.
func (t *toolkitRow) usable() bool { return t.status == "published" && t.locale == "zh-CN" }

// earlier returns the content of an earlier revision: the same item with
// its last part missing, which the later revision added.
func earlier(c domain.ToolkitContent, back int) domain.ToolkitContent {
	cut := func(n int) int { return max(1, n-back) }
	out := c
	switch {
	case len(c.Sections) > 0:
		out.Sections = c.Sections[:cut(len(c.Sections))]
	case len(c.Items) > 0:
		out.Items = c.Items[:cut(len(c.Items))]
	}
	return out
}

// genToolkit builds the items and their revision history. Every current
// revision was published before the 18 months of interactions, so the
// usage rows can cite it.
func (w *world) genToolkit() {
	specs := append(append(append([]tkSpec{}, scriptSpecs...), checklistSpecs...), guideSpecs...)
	base := w.now.AddDate(0, -26, 0)
	for i, s := range specs {
		t := &toolkitRow{
			id: newID(), key: s.key, kind: s.kind, scenario: s.scenario, tier: s.tier, locale: s.locale,
			title: s.title, summary: s.summary, tags: s.tags, content: s.content,
		}
		if t.locale == "" {
			t.locale = "zh-CN"
		}
		if t.tags == nil {
			t.tags = []string{}
		}
		t.createdAt = base.Add(time.Duration(i) * 26 * time.Hour)
		n := max(1, s.revisions)
		if s.state == "draft" {
			// Written recently, never published: revision 0, one draft.
			t.createdAt = w.ago(time.Duration(w.between(3, 9)) * 24 * time.Hour)
			t.updatedAt = t.createdAt.Add(2 * time.Hour)
			t.status = "draft"
			t.revisions = []*revisionRow{{number: 1, status: "draft", title: t.title, summary: t.summary, tags: t.tags, content: t.content, createdAt: t.createdAt}}
			w.toolkit = append(w.toolkit, t)
			continue
		}
		for k := 1; k <= n; k++ {
			at := t.createdAt.Add(time.Duration(k-1) * 90 * 24 * time.Hour)
			r := &revisionRow{number: k, status: "retired", title: t.title, summary: t.summary, tags: t.tags,
				content: earlier(t.content, n-k), publishedAt: ptr(at.Add(3 * time.Hour)), createdAt: at}
			if k == n {
				r.status = "published"
				r.content = t.content
			}
			t.revisions = append(t.revisions, r)
		}
		last := t.revisions[n-1]
		t.status, t.revision, t.publishedAt, t.updatedAt = "published", n, last.publishedAt, *last.publishedAt
		if s.state == "retired" {
			last.status = "retired"
			t.status = "retired"
			t.updatedAt = w.now.AddDate(0, -19, 0)
		}
		w.toolkit = append(w.toolkit, t)
	}
}

// forScenario returns the usable items of a scenario, scripts first.
func (w *world) forScenario(scenario string) []*toolkitRow {
	var out []*toolkitRow
	for _, t := range w.toolkit {
		if t.scenario == scenario && t.usable() {
			out = append(out, t)
		}
	}
	return out
}

// checklistFor returns a fresh copy of the scenario's checklist, and the
// checklist item, or nil.
func (w *world) checklistFor(scenario string) ([]domain.ChecklistItem, *toolkitRow) {
	for _, t := range w.forScenario(scenario) {
		if t.kind == "checklist" {
			return append([]domain.ChecklistItem(nil), t.content.Items...), t
		}
	}
	return []domain.ChecklistItem{}, nil
}

// usageRow is one ToolkitUsage row.
type usageRow struct {
	item        *toolkitRow
	agent       *agentRow
	customer    *customerRow
	interaction uuid.UUID
	task        uuid.UUID
	at          time.Time
}
