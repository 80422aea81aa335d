package httpapi

import (
	"context"

	"github.com/agentdesk/agentdesk/api"
)

// The tasks operations are designed in openapi.yaml but not implemented
// yet: each answers 501. An implementation replaces the stub with a
// handler in tasks.go.

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
