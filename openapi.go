// Package agentdesk holds the contract: openapi.yaml, embedded so the
// server can publish exactly the file in the repository.
package agentdesk

import _ "embed"

// OpenAPIYAML is openapi.yaml as written.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
