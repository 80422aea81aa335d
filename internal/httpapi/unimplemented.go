package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The operations below are designed in openapi.yaml but their behaviour
// belongs to later work: each answers 501 with a problem naming the
// operation. An implementation moves the method to its tag's file.

// ListAgents is not implemented yet.
func (s *Server) ListAgents(ctx context.Context, request api.ListAgentsRequestObject) (api.ListAgentsResponseObject, error) {
	return nil, notImplemented("ListAgents")
}

// CreateAgent is not implemented yet.
func (s *Server) CreateAgent(ctx context.Context, request api.CreateAgentRequestObject) (api.CreateAgentResponseObject, error) {
	return nil, notImplemented("CreateAgent")
}

// GetAgent is not implemented yet.
func (s *Server) GetAgent(ctx context.Context, request api.GetAgentRequestObject) (api.GetAgentResponseObject, error) {
	return nil, notImplemented("GetAgent")
}

// UpdateAgent is not implemented yet.
func (s *Server) UpdateAgent(ctx context.Context, request api.UpdateAgentRequestObject) (api.UpdateAgentResponseObject, error) {
	return nil, notImplemented("UpdateAgent")
}

// GetWorkingCalendar is not implemented yet.
func (s *Server) GetWorkingCalendar(ctx context.Context, request api.GetWorkingCalendarRequestObject) (api.GetWorkingCalendarResponseObject, error) {
	return nil, notImplemented("GetWorkingCalendar")
}

// SetCalendarDay is not implemented yet.
func (s *Server) SetCalendarDay(ctx context.Context, request api.SetCalendarDayRequestObject) (api.SetCalendarDayResponseObject, error) {
	return nil, notImplemented("SetCalendarDay")
}

// ListIntegratorClients is not implemented yet.
func (s *Server) ListIntegratorClients(ctx context.Context, request api.ListIntegratorClientsRequestObject) (api.ListIntegratorClientsResponseObject, error) {
	return nil, notImplemented("ListIntegratorClients")
}

// CreateIntegratorClient is not implemented yet.
func (s *Server) CreateIntegratorClient(ctx context.Context, request api.CreateIntegratorClientRequestObject) (api.CreateIntegratorClientResponseObject, error) {
	return nil, notImplemented("CreateIntegratorClient")
}

// DeleteIntegratorClient is not implemented yet.
func (s *Server) DeleteIntegratorClient(ctx context.Context, request api.DeleteIntegratorClientRequestObject) (api.DeleteIntegratorClientResponseObject, error) {
	return nil, notImplemented("DeleteIntegratorClient")
}

// ListTeams is not implemented yet.
func (s *Server) ListTeams(ctx context.Context, request api.ListTeamsRequestObject) (api.ListTeamsResponseObject, error) {
	return nil, notImplemented("ListTeams")
}

// CreateTeam is not implemented yet.
func (s *Server) CreateTeam(ctx context.Context, request api.CreateTeamRequestObject) (api.CreateTeamResponseObject, error) {
	return nil, notImplemented("CreateTeam")
}

// ListAuditEntries is not implemented yet.
func (s *Server) ListAuditEntries(ctx context.Context, request api.ListAuditEntriesRequestObject) (api.ListAuditEntriesResponseObject, error) {
	return nil, notImplemented("ListAuditEntries")
}

// ListClaims is not implemented yet.
func (s *Server) ListClaims(ctx context.Context, request api.ListClaimsRequestObject) (api.ListClaimsResponseObject, error) {
	return nil, notImplemented("ListClaims")
}

// CreateClaim is not implemented yet.
func (s *Server) CreateClaim(ctx context.Context, request api.CreateClaimRequestObject) (api.CreateClaimResponseObject, error) {
	return nil, notImplemented("CreateClaim")
}

// GetClaim is not implemented yet.
func (s *Server) GetClaim(ctx context.Context, request api.GetClaimRequestObject) (api.GetClaimResponseObject, error) {
	return nil, notImplemented("GetClaim")
}

// UpdateClaim is not implemented yet.
func (s *Server) UpdateClaim(ctx context.Context, request api.UpdateClaimRequestObject) (api.UpdateClaimResponseObject, error) {
	return nil, notImplemented("UpdateClaim")
}

// ListComplaints is not implemented yet.
func (s *Server) ListComplaints(ctx context.Context, request api.ListComplaintsRequestObject) (api.ListComplaintsResponseObject, error) {
	return nil, notImplemented("ListComplaints")
}

// CreateComplaint is not implemented yet.
func (s *Server) CreateComplaint(ctx context.Context, request api.CreateComplaintRequestObject) (api.CreateComplaintResponseObject, error) {
	return nil, notImplemented("CreateComplaint")
}

// GetComplaint is not implemented yet.
func (s *Server) GetComplaint(ctx context.Context, request api.GetComplaintRequestObject) (api.GetComplaintResponseObject, error) {
	return nil, notImplemented("GetComplaint")
}

// UpdateComplaint is not implemented yet.
func (s *Server) UpdateComplaint(ctx context.Context, request api.UpdateComplaintRequestObject) (api.UpdateComplaintResponseObject, error) {
	return nil, notImplemented("UpdateComplaint")
}

// ListCustomers is not implemented yet.
func (s *Server) ListCustomers(ctx context.Context, request api.ListCustomersRequestObject) (api.ListCustomersResponseObject, error) {
	return nil, notImplemented("ListCustomers")
}

// CreateCustomer is not implemented yet.
func (s *Server) CreateCustomer(ctx context.Context, request api.CreateCustomerRequestObject) (api.CreateCustomerResponseObject, error) {
	return nil, notImplemented("CreateCustomer")
}

// DeleteCustomer is not implemented yet.
func (s *Server) DeleteCustomer(ctx context.Context, request api.DeleteCustomerRequestObject) (api.DeleteCustomerResponseObject, error) {
	return nil, notImplemented("DeleteCustomer")
}

// GetCustomer is not implemented yet.
func (s *Server) GetCustomer(ctx context.Context, request api.GetCustomerRequestObject) (api.GetCustomerResponseObject, error) {
	return nil, notImplemented("GetCustomer")
}

// UpdateCustomer is not implemented yet.
func (s *Server) UpdateCustomer(ctx context.Context, request api.UpdateCustomerRequestObject) (api.UpdateCustomerResponseObject, error) {
	return nil, notImplemented("UpdateCustomer")
}

// ListCustomerInteractions is not implemented yet.
func (s *Server) ListCustomerInteractions(ctx context.Context, request api.ListCustomerInteractionsRequestObject) (api.ListCustomerInteractionsResponseObject, error) {
	return nil, notImplemented("ListCustomerInteractions")
}

// CreateCustomerInteraction is not implemented yet.
func (s *Server) CreateCustomerInteraction(ctx context.Context, request api.CreateCustomerInteractionRequestObject) (api.CreateCustomerInteractionResponseObject, error) {
	return nil, notImplemented("CreateCustomerInteraction")
}

// CreateCustomerNpsAnswer is not implemented yet.
func (s *Server) CreateCustomerNpsAnswer(ctx context.Context, request api.CreateCustomerNpsAnswerRequestObject) (api.CreateCustomerNpsAnswerResponseObject, error) {
	return nil, notImplemented("CreateCustomerNpsAnswer")
}

// GetCustomerPortrait is not implemented yet.
func (s *Server) GetCustomerPortrait(ctx context.Context, request api.GetCustomerPortraitRequestObject) (api.GetCustomerPortraitResponseObject, error) {
	return nil, notImplemented("GetCustomerPortrait")
}

// GetCustomerServicePlan is not implemented yet.
func (s *Server) GetCustomerServicePlan(ctx context.Context, request api.GetCustomerServicePlanRequestObject) (api.GetCustomerServicePlanResponseObject, error) {
	return nil, notImplemented("GetCustomerServicePlan")
}

// RegisterDevice is not implemented yet.
func (s *Server) RegisterDevice(ctx context.Context, request api.RegisterDeviceRequestObject) (api.RegisterDeviceResponseObject, error) {
	return nil, notImplemented("RegisterDevice")
}

// DeleteDevice is not implemented yet.
func (s *Server) DeleteDevice(ctx context.Context, request api.DeleteDeviceRequestObject) (api.DeleteDeviceResponseObject, error) {
	return nil, notImplemented("DeleteDevice")
}

// ImportIntegrationBatch is not implemented yet.
func (s *Server) ImportIntegrationBatch(ctx context.Context, request api.ImportIntegrationBatchRequestObject) (api.ImportIntegrationBatchResponseObject, error) {
	return nil, notImplemented("ImportIntegrationBatch")
}

// ListIntegrationChanges is not implemented yet.
func (s *Server) ListIntegrationChanges(ctx context.Context, request api.ListIntegrationChangesRequestObject) (api.ListIntegrationChangesResponseObject, error) {
	return nil, notImplemented("ListIntegrationChanges")
}

// UpsertIntegrationCustomer is not implemented yet.
func (s *Server) UpsertIntegrationCustomer(ctx context.Context, request api.UpsertIntegrationCustomerRequestObject) (api.UpsertIntegrationCustomerResponseObject, error) {
	return nil, notImplemented("UpsertIntegrationCustomer")
}

// UpsertIntegrationPolicy is not implemented yet.
func (s *Server) UpsertIntegrationPolicy(ctx context.Context, request api.UpsertIntegrationPolicyRequestObject) (api.UpsertIntegrationPolicyResponseObject, error) {
	return nil, notImplemented("UpsertIntegrationPolicy")
}

// ListInteractions is not implemented yet.
func (s *Server) ListInteractions(ctx context.Context, request api.ListInteractionsRequestObject) (api.ListInteractionsResponseObject, error) {
	return nil, notImplemented("ListInteractions")
}

// GetInteraction is not implemented yet.
func (s *Server) GetInteraction(ctx context.Context, request api.GetInteractionRequestObject) (api.GetInteractionResponseObject, error) {
	return nil, notImplemented("GetInteraction")
}

// ListNotifications is not implemented yet.
func (s *Server) ListNotifications(ctx context.Context, request api.ListNotificationsRequestObject) (api.ListNotificationsResponseObject, error) {
	return nil, notImplemented("ListNotifications")
}

// MarkNotificationRead is not implemented yet.
func (s *Server) MarkNotificationRead(ctx context.Context, request api.MarkNotificationReadRequestObject) (api.MarkNotificationReadResponseObject, error) {
	return nil, notImplemented("MarkNotificationRead")
}

// ListPlanRules is not implemented yet.
func (s *Server) ListPlanRules(ctx context.Context, request api.ListPlanRulesRequestObject) (api.ListPlanRulesResponseObject, error) {
	return nil, notImplemented("ListPlanRules")
}

// CreatePlanRule is not implemented yet.
func (s *Server) CreatePlanRule(ctx context.Context, request api.CreatePlanRuleRequestObject) (api.CreatePlanRuleResponseObject, error) {
	return nil, notImplemented("CreatePlanRule")
}

// DeletePlanRule is not implemented yet.
func (s *Server) DeletePlanRule(ctx context.Context, request api.DeletePlanRuleRequestObject) (api.DeletePlanRuleResponseObject, error) {
	return nil, notImplemented("DeletePlanRule")
}

// GetPlanRule is not implemented yet.
func (s *Server) GetPlanRule(ctx context.Context, request api.GetPlanRuleRequestObject) (api.GetPlanRuleResponseObject, error) {
	return nil, notImplemented("GetPlanRule")
}

// ReplacePlanRule is not implemented yet.
func (s *Server) ReplacePlanRule(ctx context.Context, request api.ReplacePlanRuleRequestObject) (api.ReplacePlanRuleResponseObject, error) {
	return nil, notImplemented("ReplacePlanRule")
}

// ListPolicies is not implemented yet.
func (s *Server) ListPolicies(ctx context.Context, request api.ListPoliciesRequestObject) (api.ListPoliciesResponseObject, error) {
	return nil, notImplemented("ListPolicies")
}

// GetPolicy is not implemented yet.
func (s *Server) GetPolicy(ctx context.Context, request api.GetPolicyRequestObject) (api.GetPolicyResponseObject, error) {
	return nil, notImplemented("GetPolicy")
}

// GetKpiReport is not implemented yet.
func (s *Server) GetKpiReport(ctx context.Context, request api.GetKpiReportRequestObject) (api.GetKpiReportResponseObject, error) {
	return nil, notImplemented("GetKpiReport")
}

// GetReminderReport is not implemented yet.
func (s *Server) GetReminderReport(ctx context.Context, request api.GetReminderReportRequestObject) (api.GetReminderReportResponseObject, error) {
	return nil, notImplemented("GetReminderReport")
}

// GetSyncChecksum is not implemented yet.
func (s *Server) GetSyncChecksum(ctx context.Context, request api.GetSyncChecksumRequestObject) (api.GetSyncChecksumResponseObject, error) {
	return nil, notImplemented("GetSyncChecksum")
}

// StreamSyncEvents is not implemented yet.
func (s *Server) StreamSyncEvents(ctx context.Context, request api.StreamSyncEventsRequestObject) (api.StreamSyncEventsResponseObject, error) {
	return nil, notImplemented("StreamSyncEvents")
}

// PullChanges is not implemented yet.
func (s *Server) PullChanges(ctx context.Context, request api.PullChangesRequestObject) (api.PullChangesResponseObject, error) {
	return nil, notImplemented("PullChanges")
}

// PushChanges is not implemented yet.
func (s *Server) PushChanges(ctx context.Context, request api.PushChangesRequestObject) (api.PushChangesResponseObject, error) {
	return nil, notImplemented("PushChanges")
}

// PullRxdbDocuments is not implemented yet.
func (s *Server) PullRxdbDocuments(ctx context.Context, request api.PullRxdbDocumentsRequestObject) (api.PullRxdbDocumentsResponseObject, error) {
	return nil, notImplemented("PullRxdbDocuments")
}

// StreamRxdbChanges is not implemented yet.
func (s *Server) StreamRxdbChanges(ctx context.Context, request api.StreamRxdbChangesRequestObject) (api.StreamRxdbChangesResponseObject, error) {
	return nil, notImplemented("StreamRxdbChanges")
}

// PushRxdbDocuments is not implemented yet.
func (s *Server) PushRxdbDocuments(ctx context.Context, request api.PushRxdbDocumentsRequestObject) (api.PushRxdbDocumentsResponseObject, error) {
	return nil, notImplemented("PushRxdbDocuments")
}

// PullWatermelonChanges is not implemented yet.
func (s *Server) PullWatermelonChanges(ctx context.Context, request api.PullWatermelonChangesRequestObject) (api.PullWatermelonChangesResponseObject, error) {
	return nil, notImplemented("PullWatermelonChanges")
}

// PushWatermelonChanges is not implemented yet.
func (s *Server) PushWatermelonChanges(ctx context.Context, request api.PushWatermelonChangesRequestObject) (api.PushWatermelonChangesResponseObject, error) {
	return nil, notImplemented("PushWatermelonChanges")
}

// ListTasks is not implemented yet.
func (s *Server) ListTasks(ctx context.Context, request api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	return nil, notImplemented("ListTasks")
}

// CreateTask is not implemented yet.
func (s *Server) CreateTask(ctx context.Context, request api.CreateTaskRequestObject) (api.CreateTaskResponseObject, error) {
	return nil, notImplemented("CreateTask")
}

// GetTask is not implemented yet.
func (s *Server) GetTask(ctx context.Context, request api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	return nil, notImplemented("GetTask")
}

// UpdateTask is not implemented yet.
func (s *Server) UpdateTask(ctx context.Context, request api.UpdateTaskRequestObject) (api.UpdateTaskResponseObject, error) {
	return nil, notImplemented("UpdateTask")
}

// ListToolkitItems is not implemented yet.
func (s *Server) ListToolkitItems(ctx context.Context, request api.ListToolkitItemsRequestObject) (api.ListToolkitItemsResponseObject, error) {
	return nil, notImplemented("ListToolkitItems")
}

// CreateToolkitItem is not implemented yet.
func (s *Server) CreateToolkitItem(ctx context.Context, request api.CreateToolkitItemRequestObject) (api.CreateToolkitItemResponseObject, error) {
	return nil, notImplemented("CreateToolkitItem")
}

// GetToolkitItem is not implemented yet.
func (s *Server) GetToolkitItem(ctx context.Context, request api.GetToolkitItemRequestObject) (api.GetToolkitItemResponseObject, error) {
	return nil, notImplemented("GetToolkitItem")
}

// UpdateToolkitItem is not implemented yet.
func (s *Server) UpdateToolkitItem(ctx context.Context, request api.UpdateToolkitItemRequestObject) (api.UpdateToolkitItemResponseObject, error) {
	return nil, notImplemented("UpdateToolkitItem")
}

// PublishToolkitItem is not implemented yet.
func (s *Server) PublishToolkitItem(ctx context.Context, request api.PublishToolkitItemRequestObject) (api.PublishToolkitItemResponseObject, error) {
	return nil, notImplemented("PublishToolkitItem")
}

// RenderToolkitItem is not implemented yet.
func (s *Server) RenderToolkitItem(ctx context.Context, request api.RenderToolkitItemRequestObject) (api.RenderToolkitItemResponseObject, error) {
	return nil, notImplemented("RenderToolkitItem")
}

// RetireToolkitItem is not implemented yet.
func (s *Server) RetireToolkitItem(ctx context.Context, request api.RetireToolkitItemRequestObject) (api.RetireToolkitItemResponseObject, error) {
	return nil, notImplemented("RetireToolkitItem")
}

// ListToolkitItemRevisions is not implemented yet.
func (s *Server) ListToolkitItemRevisions(ctx context.Context, request api.ListToolkitItemRevisionsRequestObject) (api.ListToolkitItemRevisionsResponseObject, error) {
	return nil, notImplemented("ListToolkitItemRevisions")
}

// ListWebhooks is not implemented yet.
func (s *Server) ListWebhooks(ctx context.Context, request api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	return nil, notImplemented("ListWebhooks")
}

// CreateWebhook is not implemented yet.
func (s *Server) CreateWebhook(ctx context.Context, request api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	return nil, notImplemented("CreateWebhook")
}

// DeleteWebhook is not implemented yet.
func (s *Server) DeleteWebhook(ctx context.Context, request api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	return nil, notImplemented("DeleteWebhook")
}

// GetWebhook is not implemented yet.
func (s *Server) GetWebhook(ctx context.Context, request api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	return nil, notImplemented("GetWebhook")
}

// UpdateWebhook is not implemented yet.
func (s *Server) UpdateWebhook(ctx context.Context, request api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	return nil, notImplemented("UpdateWebhook")
}

// ListWebhookDeliveries is not implemented yet.
func (s *Server) ListWebhookDeliveries(ctx context.Context, request api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	return nil, notImplemented("ListWebhookDeliveries")
}

// RedeliverWebhookDelivery is not implemented yet.
func (s *Server) RedeliverWebhookDelivery(ctx context.Context, request api.RedeliverWebhookDeliveryRequestObject) (api.RedeliverWebhookDeliveryResponseObject, error) {
	return nil, notImplemented("RedeliverWebhookDelivery")
}
