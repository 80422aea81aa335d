// Package api holds the server interfaces and models generated from openapi.yaml. Do not edit.
package api

//go:generate go tool oapi-codegen -config cfg.yaml ../openapi.yaml
