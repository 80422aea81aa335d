package syncer

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/complaint"
	"github.com/agentdesk/agentdesk/ent/customer"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/interaction"
	"github.com/agentdesk/agentdesk/ent/notification"
	"github.com/agentdesk/agentdesk/ent/portrait"
	"github.com/agentdesk/agentdesk/ent/serviceplan"
	"github.com/agentdesk/agentdesk/ent/task"
	"github.com/agentdesk/agentdesk/ent/toolkititem"
	"github.com/agentdesk/agentdesk/internal/store"
)

// Collections are the synced collections, by their wire names.
var Collections = []string{
	store.Customers, store.Portraits, store.Policies, store.Interactions, store.Tasks,
	store.ServicePlans, store.Complaints, store.ToolkitItems, store.Notifications,
}

// unitCollections are the collections of a customer's records: the
// customer and everything under it that syncs (notifications go by
// recipient, not by customer).
var unitCollections = map[string]bool{
	store.Customers: true, store.Portraits: true, store.Policies: true, store.Interactions: true,
	store.Tasks: true, store.ServicePlans: true, store.Complaints: true,
}

// backfillOrder is the order in which a customer entering the scope
// arrives: what the agent works with first, the history last.
var backfillOrder = []string{
	store.Customers, store.Portraits, store.Policies, store.ServicePlans, store.Tasks, store.Complaints, store.Interactions,
}

// filter narrows the records of a page. Whatever it says, the caller's
// context limits them to the caller's scope.
type filter struct {
	customer  *uuid.UUID  // one customer's records
	customers []uuid.UUID // the records of these customers (when not nil)
	closed    *bool       // complaints: closed ones only (true) or open ones only (false)
	upper     uuid.UUID   // when set, no record with a higher id
}

// source reads one collection.
type source struct {
	// page returns up to n records with an id above after, in id order.
	page func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error)
	// byIDs returns the records of ids that exist and are visible.
	byIDs func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error)
	// maxID returns the highest id of the table (uuid.Nil when empty),
	// read as the server: it bounds a keyset walk that began.
	maxID func(ctx context.Context, c *ent.Client) (uuid.UUID, error)
	// inCustomers returns up to n records of the customers custs that
	// come after (cust, last) in (customer_id, id) order, in that order
	// (the collections under a customer, but customers themselves).
	inCustomers func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error)
}

// byCustomer says whether a first sync walks coll customer by customer:
// the records of a book are then found through the customer index, not
// by reading the table in id order and keeping those of the book.
func byCustomer(coll string) bool { return sources[coll].inCustomers != nil }

// customerKeyset selects the records of custs after (cust, last) in
// (customer_id, id) order, with no id above upper (when set).
func customerKeyset(custs []uuid.UUID, cust, last, upper uuid.UUID) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		ids := make([]any, len(custs))
		for i, id := range custs {
			ids[i] = id
		}
		cc, ic := s.C("customer_id"), s.C("id")
		s.Where(entsql.And(entsql.In(cc, ids...),
			entsql.Or(entsql.GT(cc, cust), entsql.And(entsql.EQ(cc, cust), entsql.GT(ic, last)))))
		if upper != uuid.Nil {
			s.Where(entsql.LTE(ic, upper))
		}
	}
}

func first(ids []uuid.UUID, err error) (uuid.UUID, error) {
	if err != nil || len(ids) == 0 {
		return uuid.Nil, err
	}
	return ids[0], nil
}

func anys[T any](rows []T, err error) ([]any, error) {
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out, nil
}

var sources = map[string]source{
	store.Customers: {
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.Customer.Query().Order(ent.Desc(customer.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.Customer.Query().Where(customer.IDGT(after)).Order(ent.Asc(customer.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(customer.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(customer.ID(*f.customer))
			}
			if f.customers != nil {
				q.Where(customer.IDIn(f.customers...))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.Customer.Query().Where(customer.IDIn(ids...)).All(ctx))
		},
	},
	store.Portraits: {
		inCustomers: func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error) {
			return anys(c.Portrait.Query().Where(customerKeyset(custs, cust, last, f.upper)).
				Order(ent.Asc(portrait.FieldCustomerID), ent.Asc(portrait.FieldID)).Limit(n).All(ctx))
		},
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.Portrait.Query().Order(ent.Desc(portrait.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.Portrait.Query().Where(portrait.IDGT(after)).Order(ent.Asc(portrait.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(portrait.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(portrait.CustomerID(*f.customer))
			}
			if f.customers != nil {
				q.Where(portrait.CustomerIDIn(f.customers...))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.Portrait.Query().Where(portrait.IDIn(ids...)).All(ctx))
		},
	},
	store.Policies: {
		inCustomers: func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error) {
			return anys(c.InsurancePolicy.Query().Where(customerKeyset(custs, cust, last, f.upper)).
				Order(ent.Asc(insurancepolicy.FieldCustomerID), ent.Asc(insurancepolicy.FieldID)).Limit(n).All(ctx))
		},
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.InsurancePolicy.Query().Order(ent.Desc(insurancepolicy.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.InsurancePolicy.Query().Where(insurancepolicy.IDGT(after)).Order(ent.Asc(insurancepolicy.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(insurancepolicy.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(insurancepolicy.CustomerID(*f.customer))
			}
			if f.customers != nil {
				q.Where(insurancepolicy.CustomerIDIn(f.customers...))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.InsurancePolicy.Query().Where(insurancepolicy.IDIn(ids...)).All(ctx))
		},
	},
	store.Interactions: {
		inCustomers: func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error) {
			return anys(c.Interaction.Query().Where(customerKeyset(custs, cust, last, f.upper)).
				Order(ent.Asc(interaction.FieldCustomerID), ent.Asc(interaction.FieldID)).Limit(n).All(ctx))
		},
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.Interaction.Query().Order(ent.Desc(interaction.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.Interaction.Query().Where(interaction.IDGT(after)).Order(ent.Asc(interaction.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(interaction.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(interaction.CustomerID(*f.customer))
			}
			if f.customers != nil {
				q.Where(interaction.CustomerIDIn(f.customers...))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.Interaction.Query().Where(interaction.IDIn(ids...)).All(ctx))
		},
	},
	store.Tasks: {
		inCustomers: func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error) {
			return anys(c.Task.Query().Where(customerKeyset(custs, cust, last, f.upper)).
				Order(ent.Asc(task.FieldCustomerID), ent.Asc(task.FieldID)).Limit(n).All(ctx))
		},
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.Task.Query().Order(ent.Desc(task.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.Task.Query().Where(task.IDGT(after)).Order(ent.Asc(task.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(task.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(task.CustomerID(*f.customer))
			}
			if f.customers != nil {
				q.Where(task.CustomerIDIn(f.customers...))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.Task.Query().Where(task.IDIn(ids...)).All(ctx))
		},
	},
	store.ServicePlans: {
		inCustomers: func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error) {
			return anys(c.ServicePlan.Query().Where(customerKeyset(custs, cust, last, f.upper)).
				Order(ent.Asc(serviceplan.FieldCustomerID), ent.Asc(serviceplan.FieldID)).Limit(n).All(ctx))
		},
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.ServicePlan.Query().Order(ent.Desc(serviceplan.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.ServicePlan.Query().Where(serviceplan.IDGT(after)).Order(ent.Asc(serviceplan.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(serviceplan.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(serviceplan.CustomerID(*f.customer))
			}
			if f.customers != nil {
				q.Where(serviceplan.CustomerIDIn(f.customers...))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.ServicePlan.Query().Where(serviceplan.IDIn(ids...)).All(ctx))
		},
	},
	store.Complaints: {
		inCustomers: func(ctx context.Context, c *ent.Client, f filter, custs []uuid.UUID, cust, last uuid.UUID, n int) ([]any, error) {
			q := c.Complaint.Query().Where(customerKeyset(custs, cust, last, f.upper)).
				Order(ent.Asc(complaint.FieldCustomerID), ent.Asc(complaint.FieldID)).Limit(n)
			return anys(closedOnly(q, f.closed).All(ctx))
		},
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.Complaint.Query().Order(ent.Desc(complaint.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.Complaint.Query().Where(complaint.IDGT(after)).Order(ent.Asc(complaint.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(complaint.IDLTE(f.upper))
			}
			if f.customer != nil {
				q.Where(complaint.CustomerID(*f.customer))
			}
			if f.customers != nil {
				q.Where(complaint.CustomerIDIn(f.customers...))
			}
			return anys(closedOnly(q, f.closed).All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.Complaint.Query().Where(complaint.IDIn(ids...)).All(ctx))
		},
	},
	store.ToolkitItems: {
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.ToolkitItem.Query().Order(ent.Desc(toolkititem.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, _ filter, after uuid.UUID, n int) ([]any, error) {
			return anys(c.ToolkitItem.Query().Where(toolkititem.IDGT(after), toolkititem.StatusEQ(toolkititem.StatusPublished)).
				Order(ent.Asc(toolkititem.FieldID)).Limit(n).All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.ToolkitItem.Query().Where(toolkititem.IDIn(ids...), toolkititem.StatusEQ(toolkititem.StatusPublished)).All(ctx))
		},
	},
	store.Notifications: {
		maxID: func(ctx context.Context, c *ent.Client) (uuid.UUID, error) {
			return first(c.Notification.Query().Order(ent.Desc(notification.FieldID)).Limit(1).IDs(ctx))
		},
		page: func(ctx context.Context, c *ent.Client, f filter, after uuid.UUID, n int) ([]any, error) {
			q := c.Notification.Query().Where(notification.IDGT(after)).Order(ent.Asc(notification.FieldID)).Limit(n)
			if f.upper != uuid.Nil {
				q.Where(notification.IDLTE(f.upper))
			}
			return anys(q.All(ctx))
		},
		byIDs: func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]any, error) {
			return anys(c.Notification.Query().Where(notification.IDIn(ids...)).All(ctx))
		},
	},
}

// closedOnly narrows complaints to closed ones (true) or open ones
// (false); nil leaves q as it is.
func closedOnly(q *ent.ComplaintQuery, closed *bool) *ent.ComplaintQuery {
	switch {
	case closed == nil:
	case *closed:
		q.Where(complaint.StatusEQ(complaint.StatusClosed))
	default:
		q.Where(complaint.StatusNEQ(complaint.StatusClosed))
	}
	return q
}

// recordMeta returns a record's id and version, and its customer (the
// customer's own id for customers; uuid.Nil where there is none).
func recordMeta(rec any) (id uuid.UUID, version int64, customerID uuid.UUID) {
	switch r := rec.(type) {
	case *ent.Customer:
		return r.ID, r.Version, r.ID
	case *ent.Portrait:
		return r.ID, r.Version, r.CustomerID
	case *ent.InsurancePolicy:
		return r.ID, r.Version, r.CustomerID
	case *ent.Interaction:
		return r.ID, r.Version, r.CustomerID
	case *ent.Task:
		return r.ID, r.Version, r.CustomerID
	case *ent.ServicePlan:
		return r.ID, r.Version, r.CustomerID
	case *ent.Complaint:
		return r.ID, r.Version, r.CustomerID
	case *ent.ToolkitItem:
		return r.ID, r.Version, uuid.Nil
	case *ent.Notification:
		return r.ID, r.Version, uuid.Nil
	}
	return uuid.Nil, 0, uuid.Nil
}
