package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/integration"
)

// UpsertIntegrationCustomer creates or updates a customer by external id.
func (s *Server) UpsertIntegrationCustomer(ctx context.Context, req api.UpsertIntegrationCustomerRequestObject) (api.UpsertIntegrationCustomerResponseObject, error) {
	ifMatch, err := customer.ParseIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	c, res, err := s.integrations.UpsertCustomer(ctx, req.ExternalId, ifMatch, integrationCustomerInput(req.Body))
	if err != nil {
		return nil, err
	}
	personal, err := s.customers.Reveal(ctx, c, customer.DetailView, "PUT /v1/integrations/customers/{external_id}")
	if err != nil {
		return nil, err
	}
	body := customerToAPI(c, personal)
	if res == integration.Created {
		return api.UpsertIntegrationCustomer201JSONResponse{Body: body, Headers: api.UpsertIntegrationCustomer201ResponseHeaders{
			AgentDeskUpsertResult: api.UpsertResult(res), ETag: customer.ETag(c.Version), Location: "/v1/customers/" + c.ID.String(),
		}}, nil
	}
	return api.UpsertIntegrationCustomer200JSONResponse{Body: body, Headers: api.UpsertIntegrationCustomer200ResponseHeaders{
		AgentDeskUpsertResult: api.UpsertResult(res), ETag: customer.ETag(c.Version),
	}}, nil
}

// UpsertIntegrationPolicy creates or updates a policy by external id.
func (s *Server) UpsertIntegrationPolicy(ctx context.Context, req api.UpsertIntegrationPolicyRequestObject) (api.UpsertIntegrationPolicyResponseObject, error) {
	ifMatch, err := customer.ParseIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	p, res, err := s.integrations.UpsertPolicy(ctx, req.ExternalId, ifMatch, integrationPolicyInput(req.Body))
	if err != nil {
		return nil, err
	}
	if res == integration.Created {
		return api.UpsertIntegrationPolicy201JSONResponse{Body: policyToAPI(p), Headers: api.UpsertIntegrationPolicy201ResponseHeaders{
			AgentDeskUpsertResult: api.UpsertResult(res), ETag: customer.ETag(p.Version), Location: "/v1/policies/" + p.ID.String(),
		}}, nil
	}
	return api.UpsertIntegrationPolicy200JSONResponse{Body: policyToAPI(p), Headers: api.UpsertIntegrationPolicy200ResponseHeaders{
		AgentDeskUpsertResult: api.UpsertResult(res), ETag: customer.ETag(p.Version),
	}}, nil
}

// ImportIntegrationBatch upserts a batch sent as JSON or NDJSON.
func (s *Server) ImportIntegrationBatch(ctx context.Context, req api.ImportIntegrationBatchRequestObject) (api.ImportIntegrationBatchResponseObject, error) {
	var raw []api.IntegrationBatchItem
	switch {
	case req.JSONBody != nil:
		raw = req.JSONBody.Items
	case req.Body != nil:
		var err error
		if raw, err = readNDJSON(req.Body); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.UnsupportedMediaType("send application/json or application/x-ndjson")
	}
	items := make([]integration.BatchItem, len(raw))
	for i, r := range raw {
		items[i] = batchItem(r)
	}
	key := ""
	if req.Params.IdempotencyKey != nil {
		key = *req.Params.IdempotencyKey
	}
	res, err := s.integrations.Batch(ctx, key, items)
	if err != nil {
		return nil, err
	}
	counts := res.Counts()
	out := api.ImportIntegrationBatch200JSONResponse{
		BatchId: res.ID,
		Counts: api.BatchCounts{Created: int32(counts["created"]), Updated: int32(counts["updated"]),
			Unchanged: int32(counts["unchanged"]), Rejected: int32(counts[integration.Rejected])},
		Results: make([]api.BatchItemResult, 0, len(res.Rows)),
	}
	for _, r := range res.Rows {
		item := api.BatchItemResult{Index: int32(r.Index), Kind: api.BatchItemResultKind(r.Kind), ExternalId: r.ExternalID,
			Status: api.BatchItemResultStatus(r.Status), Id: r.ID}
		if r.Problem != nil {
			p := problemToAPI(ProblemFor(r.Problem.Err()))
			item.Error = &p
		}
		out.Results = append(out.Results, item)
	}
	return out, nil
}

// maxNDJSONLine bounds one line of an NDJSON batch.
const maxNDJSONLine = 1 << 20

// readNDJSON reads one batch item per non-empty line. A line that is not
// an item at all fails the request, naming the line; an item whose data
// is bad is rejected on its own later.
func readNDJSON(body io.Reader) ([]api.IntegrationBatchItem, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), maxNDJSONLine)
	var items []api.IntegrationBatchItem
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if len(items) == integration.MaxBatch {
			return nil, apperr.Invalid("a batch has at most 10,000 items",
				apperr.FieldError{Field: "/items", Code: "maxItems", Message: "at most 10000 items"})
		}
		var it api.IntegrationBatchItem
		field := fmt.Sprintf("/items/%d", len(items))
		if err := json.Unmarshal(b, &it); err != nil {
			return nil, apperr.Invalid(fmt.Sprintf("line %d is not a JSON batch item", line),
				apperr.FieldError{Field: field, Code: "format", Message: "not a JSON object of an IntegrationBatchItem"})
		}
		if !it.Kind.Valid() || it.ExternalId == "" || len(it.ExternalId) > 128 || it.Data == nil {
			return nil, apperr.Invalid(fmt.Sprintf("line %d is not a batch item", line),
				apperr.FieldError{Field: field, Code: "schema", Message: "needs kind (customer or policy), external_id and data"})
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ndjson batch: %w", err)
	}
	if len(items) == 0 {
		return nil, apperr.Invalid("the batch is empty", apperr.FieldError{Field: "/items", Code: "minItems", Message: "at least 1 item"})
	}
	return items, nil
}

// required lists the members a batch item's data must have, per kind.
var required = map[api.IntegrationBatchItemKind][]string{
	api.IntegrationBatchItemKindCustomer: {"name"},
	api.IntegrationBatchItemKindPolicy: {"customer_external_id", "number", "product_code", "product_name", "line",
		"premium_cents", "payment_frequency", "start_date", "status"},
}

// batchItem decodes one item's data strictly: a bad row is rejected with
// a problem naming its fields, never the batch.
func batchItem(r api.IntegrationBatchItem) integration.BatchItem {
	it := integration.BatchItem{Kind: string(r.Kind), ExternalID: r.ExternalId}
	var fe []apperr.FieldError
	for _, f := range required[r.Kind] {
		if _, ok := r.Data[f]; !ok {
			fe = append(fe, apperr.FieldError{Field: "/data/" + f, Code: "required", Message: "is required"})
		}
	}
	if len(fe) > 0 {
		it.Err = apperr.Invalid("the item lacks required fields", fe...)
		return it
	}
	b, err := json.Marshal(r.Data)
	if err != nil {
		it.Err = apperr.Invalid("the item's data is not JSON", apperr.FieldError{Field: "/data", Code: "format", Message: "not JSON"})
		return it
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	switch r.Kind {
	case api.IntegrationBatchItemKindCustomer:
		var c api.IntegrationCustomer
		if err := dec.Decode(&c); err != nil {
			it.Err = decodeProblem(err)
			return it
		}
		in := integrationCustomerInput(&c)
		it.Customer = &in
	case api.IntegrationBatchItemKindPolicy:
		var p api.IntegrationPolicy
		if err := dec.Decode(&p); err != nil {
			it.Err = decodeProblem(err)
			return it
		}
		in := integrationPolicyInput(&p)
		it.Policy = &in
	}
	return it
}

// decodeProblem names the field a strict decode failed on.
func decodeProblem(err error) error {
	var te *json.UnmarshalTypeError
	field, code, msg := "/data", "format", "does not match the schema of the item's kind"
	switch {
	case errors.As(err, &te):
		field, code, msg = "/data/"+strings.ReplaceAll(te.Field, ".", "/"), "type", "has the wrong type or format"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		field, code, msg = "/data/"+name, "additionalProperties", "is not a member of this kind"
	}
	return apperr.Invalid("the item's data is invalid", apperr.FieldError{Field: field, Code: code, Message: msg})
}

// ListIntegrationChanges returns a page of the change feed.
func (s *Server) ListIntegrationChanges(ctx context.Context, req api.ListIntegrationChangesRequestObject) (api.ListIntegrationChangesResponseObject, error) {
	q := integration.ChangesQuery{Cursor: derefString(req.Params.Cursor), Limit: pageLimitChanges(req.Params.Limit)}
	if req.Params.Collections != nil {
		for _, c := range *req.Params.Collections {
			q.Collections = append(q.Collections, string(c))
		}
	}
	page, err := s.integrations.Changes(ctx, q)
	if err != nil {
		return nil, err
	}
	out := api.ListIntegrationChanges200JSONResponse{Cursor: page.Cursor, HasMore: page.HasMore,
		Changes: make([]api.ChangeFeedEntry, 0, len(page.Changes))}
	for _, c := range page.Changes {
		out.Changes = append(out.Changes, api.ChangeFeedEntry{Seq: c.Seq, Collection: api.ChangeFeedCollection(c.Collection),
			Op: api.SyncOp(c.Op), Id: c.ID, Version: c.Version, CustomerId: c.CustomerID, CommittedAt: c.CommittedAt.UTC()})
	}
	return out, nil
}

func pageLimitChanges(l *int32) int {
	if l == nil {
		return 500
	}
	return int(*l)
}

func integrationCustomerInput(b *api.IntegrationCustomer) integration.CustomerInput {
	return integration.CustomerInput{
		Name: b.Name, Phone: b.Phone, IDNumber: b.IdNumber, BirthDate: datePtr(b.BirthDate), Gender: strPtr(b.Gender),
		Occupation: b.Occupation, IncomeBand: strPtr(b.IncomeBand), RiskPreference: strPtr(b.RiskPreference),
		PreferredChannel: strPtr(b.PreferredChannel), LifeStage: strPtr(b.LifeStage), Family: familyFromAPI(b.Family),
		Consent: consentFromAPI(b.Consent), Tags: b.Tags, AgentID: b.AgentId, AgentUsername: b.AgentUsername,
	}
}

func integrationPolicyInput(b *api.IntegrationPolicy) integration.PolicyInput {
	return integration.PolicyInput{
		CustomerExternalID: b.CustomerExternalId, Number: b.Number, ProductCode: b.ProductCode, ProductName: b.ProductName,
		Line: string(b.Line), InsuredName: b.InsuredName, HolderName: b.HolderName, PremiumCents: b.PremiumCents,
		SumAssuredCents: b.SumAssuredCents, Currency: b.Currency, PaymentFrequency: string(b.PaymentFrequency),
		StartDate: b.StartDate.Time, NextPremiumDueDate: datePtr(b.NextPremiumDueDate), RenewalDate: datePtr(b.RenewalDate),
		Status: string(b.Status),
	}
}

// problemToAPI converts a problem for embedding in a response body.
func problemToAPI(p Problem) api.Problem {
	out := api.Problem{Type: p.Type, Title: p.Title, Status: int32(p.Status)}
	if p.Detail != "" {
		out.Detail = &p.Detail
	}
	if len(p.Errors) > 0 {
		fe := make([]api.FieldError, 0, len(p.Errors))
		for _, e := range p.Errors {
			f := api.FieldError{Field: e.Field, Message: e.Message}
			if e.Code != "" {
				code := e.Code
				f.Code = &code
			}
			fe = append(fe, f)
		}
		out.Errors = &fe
	}
	return out
}
