// Package released keeps the released copies of the API contract
// (openapi-<version>.yaml) and the check, run by go test, that openapi.yaml
// stays backwards compatible with the newest of them unless its
// info.version allows a breaking change. The release procedure is in
// README.md ("Releasing the API").
package released
