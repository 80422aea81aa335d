package toolkit

import (
	"context"
	"fmt"
	"sync"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/changelog"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Cache holds the published toolkit list for sync, which sends the same
// list to every agent. It is keyed by the latest change-log sequence of the
// toolkit_items collection: any write of any ToolkitItem (on any replica)
// moves the key and the next call reloads. It is safe for concurrent use.
type Cache struct {
	db *store.DB

	mu     sync.Mutex
	loaded bool
	key    int64
	items  []Item
}

// NewCache returns an empty cache over db.
func NewCache(db *store.DB) *Cache { return &Cache{db: db} }

// Published returns the published items ordered by scenario and key, and
// the key (version) they are current as of. Callers must not modify the
// items. The list is the same for every caller, so it is read as the
// system; callers have already been authenticated.
func (c *Cache) Published(ctx context.Context) (int64, []Item, error) {
	ctx = auth.SystemContext(ctx)
	// The key is read before the items: items newer than the key are
	// harmless (the next change reloads them), items older would stick.
	key, err := c.db.Client.ChangeLog.Query().Where(changelog.Collection(store.ToolkitItems)).
		Order(ent.Desc(changelog.FieldID)).FirstID(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return 0, nil, fmt.Errorf("toolkit cache key: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && c.key == key {
		return c.key, c.items, nil
	}
	rows, err := c.db.Client.ToolkitItem.Query().Where(toolkititem.StatusEQ(toolkititem.StatusPublished)).
		Order(ent.Asc(toolkititem.FieldScenario), ent.Asc(toolkititem.FieldKey)).All(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("load published toolkit: %w", err)
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		items[i] = itemOf(r)
	}
	c.loaded, c.key, c.items = true, key, items
	return key, items, nil
}
