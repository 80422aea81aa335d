package httpapi

import (
	"encoding/json"
	"fmt"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/internal/syncer"
)

// SyncRecordJSON renders a synced record as the JSON of its collection's
// REST schema, with the same converters as the REST handlers, so that a
// record pulled through sync and one read through REST are alike. It is
// the renderer of the sync engine (syncer.Options.Render).
func SyncRecordJSON(r syncer.Record) ([]byte, error) {
	var v any
	switch e := r.Entity.(type) {
	case *ent.Customer:
		v = customerToAPI(e, r.Personal)
	case *ent.Portrait:
		if r.Native {
			v = syncPortraitToAPI(e)
			break
		}
		if r.Customer == nil {
			return nil, fmt.Errorf("portrait %s without its customer", e.ID)
		}
		v = portraitToAPI(e, r.Customer, r.CustomerPersonal)
	case *ent.InsurancePolicy:
		v = policyToAPI(e)
	case *ent.Interaction:
		v = interactionToAPI(e)
	case *ent.Task:
		v = taskToAPI(e)
	case *ent.ServicePlan:
		v = servicePlanToAPI(e, r.Steps)
	case *ent.Complaint:
		v = complaintToAPI(e, r.Now)
	case *ent.ToolkitItem:
		v = toolkitItemToAPI(e)
	case *ent.Notification:
		v = notificationToAPI(e)
	default:
		return nil, fmt.Errorf("no sync rendering of %T", r.Entity)
	}
	return json.Marshal(v)
}
