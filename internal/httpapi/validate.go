package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/agentdesk/agentdesk/internal/apperr"
)

// ValidatorOptions tunes Validator.
type ValidatorOptions struct {
	// Skipper, when it returns true, lets a request through unvalidated.
	Skipper func(echo.Context) bool
}

// specRouter finds the operation of a request in a spec.
type specRouter struct {
	spec   *openapi3.T
	router routers.Router
	// byEchoPath maps the shape of an echo route ("/v1/things/:") to the
	// spec path it serves, for requests that echo routes but gorillamux
	// does not (echo lets a trailing path parameter swallow slashes).
	byEchoPath map[string]echoRoute
}

type echoRoute struct {
	specPath   string
	paramNames []string
}

var specParam = regexp.MustCompile(`\{([^}]+)\}`)

func newSpecRouter(spec *openapi3.T) (*specRouter, error) {
	if spec == nil || spec.Paths == nil {
		return nil, errors.New("openapi: no spec or no paths")
	}
	// Absolute server URLs would make the router match on the host; a copy
	// with only their paths matches on the path alone, and leaves the
	// caller's spec as it was.
	doc := *spec
	doc.Servers = relativeServers(spec.Servers)
	r, err := gorillamux.NewRouter(&doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	sr := &specRouter{spec: &doc, router: r, byEchoPath: map[string]echoRoute{}}
	bases := []string{""}
	for _, s := range doc.Servers {
		if b := strings.TrimSuffix(s.URL, "/"); b != "" && !strings.Contains(b, "{") {
			bases = append(bases, b)
		}
	}
	for path := range spec.Paths.Map() {
		var names []string
		for _, m := range specParam.FindAllStringSubmatch(path, -1) {
			names = append(names, m[1])
		}
		shape := specParam.ReplaceAllString(path, ":")
		for _, b := range bases {
			sr.byEchoPath[b+shape] = echoRoute{specPath: path, paramNames: names}
		}
	}
	return sr, nil
}

// relativeServers keeps the path of each server URL ("https://x/v1" → "/v1").
func relativeServers(in openapi3.Servers) openapi3.Servers {
	var out openapi3.Servers
	for _, s := range in {
		if s == nil {
			continue
		}
		u := s.URL
		if _, rest, ok := strings.Cut(u, "://"); ok {
			u = "/"
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				u = rest[i:]
			}
		}
		if u == "" || u == "/" {
			// A server at the root adds nothing; with none left the router matches paths as they are.
			continue
		}
		cp := *s
		cp.URL = u
		out = append(out, &cp)
	}
	return out
}

var echoParam = regexp.MustCompile(`:[^/]*`)

// find returns the route of req. It returns routers.ErrMethodNotAllowed for a
// known path with another method and routers.ErrPathNotFound for a path the
// spec does not have. echoPath and echoValues are echo's match, if any.
func (sr *specRouter) find(req *http.Request, echoPath string, echoValues []string) (*routers.Route, map[string]string, error) {
	route, params, err := sr.router.FindRoute(req)
	if !errors.Is(err, routers.ErrPathNotFound) || echoPath == "" {
		return route, params, err
	}
	er, ok := sr.byEchoPath[echoParam.ReplaceAllString(echoPath, ":")]
	if !ok || len(er.paramNames) != len(echoValues) {
		return nil, nil, err
	}
	item := sr.spec.Paths.Value(er.specPath)
	op := item.GetOperation(req.Method)
	if op == nil {
		return nil, nil, routers.ErrMethodNotAllowed
	}
	params = make(map[string]string, len(er.paramNames))
	for i, name := range er.paramNames {
		params[name] = echoValues[i]
	}
	return &routers.Route{Spec: sr.spec, Path: er.specPath, PathItem: item, Method: req.Method, Operation: op}, params, nil
}

var registerDecoders sync.Once

// registerBodyDecoders lets kin-openapi read the media types AgentDesk uses
// that it does not know, or knows differently: NDJSON, CSV, HTML, the YAML
// of /openapi.yaml and server-sent event streams are validated as plain
// strings (the contract types them so), problem+json as JSON.
func registerBodyDecoders() {
	registerDecoders.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder(ProblemContentType, openapi3filter.JSONBodyDecoder)
	})
}

func filterOptions(spec *openapi3.T) *openapi3filter.Options {
	opts := &openapi3filter.Options{
		MultiError:         true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// Strict handlers bind the value validated here instead of decoding twice.
		KeepValidatedValue: true,
	}
	opts.SchemaValidationOptions = []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{"uuid": uuidFormat}),
	}
	if !spec.IsOpenAPI31OrLater() {
		// One-line messages without the schema or the value (which may be
		// personal data); kin-openapi refuses this option for OpenAPI 3.1.
		opts.SchemaValidationOptions = append(opts.SchemaValidationOptions, openapi3.DisableSchemaErrorDetails())
	}
	return opts
}

// uuidFormat checks format "uuid", which kin-openapi leaves unchecked by
// default (and whose predefined RFC 4122 pattern would refuse UUIDv7): the
// canonical 36-character form, any version.
var uuidFormat = openapi3.NewCallbackValidator(func(s string) error {
	if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
		return errors.New("not a UUID in its canonical form")
	}
	return nil
})

// Validator checks requests against spec before the handlers see them:
// parameters, and bodies (which stay readable afterwards). Authentication is
// left to other middleware. Requests for paths the spec lacks pass through
// (echo then answers 404, or serves routes outside the spec such as /docs),
// and so do known paths with a method the spec lacks (echo answers 405).
// A failure is an apperr.Invalid naming each field (a JSON pointer into the
// body, or a parameter's name), or 415 for an unexpected content type, or
// 413 for a body over the limit.
func Validator(spec *openapi3.T, opts ValidatorOptions) (echo.MiddlewareFunc, error) {
	registerBodyDecoders()
	sr, err := newSpecRouter(spec)
	if err != nil {
		return nil, err
	}
	options := filterOptions(spec)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if opts.Skipper != nil && opts.Skipper(c) {
				return next(c)
			}
			req := c.Request()
			route, params, err := sr.find(req, c.Path(), c.ParamValues())
			if err != nil {
				// Not an operation of the spec: echo's routing decides.
				return next(c)
			}
			input := &openapi3filter.RequestValidationInput{
				Request:    req,
				PathParams: params,
				Route:      route,
				Options:    options,
			}
			if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
				return validationError(err)
			}
			return next(c)
		}
	}, nil
}

// validationError turns what openapi3filter.ValidateRequest returned into an apperr.
func validationError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.Wrap(apperr.KindTooLarge,
			fmt.Sprintf("the request body exceeds the limit of %d bytes", tooBig.Limit), err)
	}
	var fields []apperr.FieldError
	var unsupported, unauthenticated bool
	var walk func(error)
	walk = func(err error) {
		var reqErr *openapi3filter.RequestError
		var secErr *openapi3filter.SecurityRequirementsError
		switch {
		case err == nil:
		case isMulti(err):
			for _, e := range err.(openapi3.MultiError) {
				walk(e)
			}
		case errors.As(err, &secErr):
			unauthenticated = true
		case errors.As(err, &reqErr):
			switch {
			case reqErr.Parameter != nil:
				fields = append(fields, parameterErrors(reqErr.Parameter.Name, reqErr.Err)...)
			case reqErr.RequestBody != nil && isUnsupportedMediaType(reqErr):
				unsupported = true
			case reqErr.RequestBody != nil:
				fields = append(fields, bodyErrors(reqErr.Err)...)
			default:
				fields = append(fields, apperr.FieldError{Code: "invalid", Message: "the request does not match the API contract"})
			}
		default:
			fields = append(fields, apperr.FieldError{Code: "invalid", Message: "the request does not match the API contract"})
		}
	}
	walk(err)
	switch {
	case unauthenticated:
		return apperr.Wrap(apperr.KindUnauthenticated, "credentials are missing or invalid", err)
	case unsupported:
		return apperr.Wrap(apperr.KindUnsupportedMediaType, "the request's content type is not accepted by this operation", err)
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	e := apperr.Invalid("the request does not match the API contract", fields...)
	e.Err = err
	return e
}

func isMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

func isUnsupportedMediaType(e *openapi3filter.RequestError) bool {
	if e.Err == nil && strings.HasPrefix(e.Reason, "header Content-Type has unexpected value") {
		return true
	}
	var pe *openapi3filter.ParseError
	return errors.As(e.Err, &pe) && pe.Kind == openapi3filter.KindUnsupportedFormat
}

// parameterErrors describes what is wrong with parameter name.
func parameterErrors(name string, err error) []apperr.FieldError {
	var pe *openapi3filter.ParseError
	switch {
	case errors.Is(err, openapi3filter.ErrInvalidRequired):
		return []apperr.FieldError{{Field: name, Code: "required", Message: "is required"}}
	case errors.Is(err, openapi3filter.ErrInvalidEmptyValue):
		return []apperr.FieldError{{Field: name, Code: "empty", Message: "must not be empty"}}
	case errors.As(err, &pe):
		msg := "cannot be parsed"
		if typ, ok := strings.CutPrefix(pe.Reason, "an invalid "); ok {
			msg = "is not a valid " + typ
		}
		return []apperr.FieldError{{Field: name, Code: "malformed", Message: msg}}
	}
	var out []apperr.FieldError
	for _, se := range schemaErrors(err) {
		field := name
		if p := se.JSONPointer(); len(p) > 0 {
			field += jsonPointer(p)
		}
		out = append(out, apperr.FieldError{Field: field, Code: schemaCode(se), Message: schemaMessage(se)})
	}
	if len(out) == 0 {
		out = append(out, apperr.FieldError{Field: name, Code: "invalid", Message: "is invalid"})
	}
	return out
}

// bodyErrors describes what is wrong with the request body.
func bodyErrors(err error) []apperr.FieldError {
	var pe *openapi3filter.ParseError
	switch {
	case errors.Is(err, openapi3filter.ErrInvalidRequired):
		return []apperr.FieldError{{Field: "", Code: "required", Message: "a request body is required"}}
	case errors.As(err, &pe):
		return []apperr.FieldError{{Field: "", Code: "malformed", Message: "the request body cannot be decoded"}}
	}
	var out []apperr.FieldError
	for _, se := range schemaErrors(err) {
		path := se.JSONPointer()
		if key, ok := unsupportedProperty(se); ok {
			// kin-openapi reports an unknown property at its object; name the property itself.
			out = append(out, apperr.FieldError{Field: jsonPointer(append(path, key)), Code: "additionalProperties", Message: "is not a known property"})
			continue
		}
		out = append(out, apperr.FieldError{Field: jsonPointer(path), Code: schemaCode(se), Message: schemaMessage(se)})
	}
	if len(out) == 0 {
		out = append(out, apperr.FieldError{Field: "", Code: "invalid", Message: "the request body is invalid"})
	}
	return out
}

// unsupportedProperty returns the key of an `additionalProperties: false` violation.
func unsupportedProperty(se *openapi3.SchemaError) (string, bool) {
	if se.SchemaField != "properties" {
		return "", false
	}
	quoted, ok := strings.CutPrefix(se.Reason, "property ")
	if !ok {
		return "", false
	}
	if quoted, ok = strings.CutSuffix(quoted, " is unsupported"); !ok {
		return "", false
	}
	key, err := strconv.Unquote(quoted)
	return key, err == nil
}

// schemaErrors lists the outermost schema errors in err.
func schemaErrors(err error) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *openapi3.SchemaError:
			out = append(out, e)
		case openapi3.MultiError:
			for _, x := range e {
				walk(x)
			}
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

func schemaCode(se *openapi3.SchemaError) string {
	if se.SchemaField != "" {
		return se.SchemaField
	}
	return "invalid"
}

// schemaMessage is the error's reason, which kin-openapi keeps free of the
// value; the value is never repeated back.
func schemaMessage(se *openapi3.SchemaError) string {
	if se.SchemaField == "format" && se.Schema != nil && se.Schema.Format != "" {
		return "must be a valid " + se.Schema.Format
	}
	if se.Reason != "" {
		return se.Reason
	}
	if se.SchemaField != "" {
		return fmt.Sprintf("does not match the schema's %q", se.SchemaField)
	}
	return "does not match the schema"
}

// jsonPointer renders path as an RFC 6901 JSON pointer ("" for the whole document).
func jsonPointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

var responseRouters sync.Map // *openapi3.T → *specRouter

// ValidateResponse checks that a response to req (its status, headers and
// body) conforms to spec; a status the operation does not document fails.
// application/problem+json bodies are read as JSON. Meant for tests.
func ValidateResponse(spec *openapi3.T, req *http.Request, status int, header http.Header, body []byte) error {
	registerBodyDecoders()
	var sr *specRouter
	if v, ok := responseRouters.Load(spec); ok {
		sr = v.(*specRouter)
	} else {
		var err error
		if sr, err = newSpecRouter(spec); err != nil {
			return err
		}
		responseRouters.Store(spec, sr)
	}
	// The router matches on the URL only; a request built for a client may lack Host and RequestURI.
	r := req.Clone(context.Background())
	if r.URL == nil {
		r.URL = &url.URL{Path: "/"}
	}
	route, params, err := sr.find(r, "", nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, r.URL.Path, err)
	}
	opts := filterOptions(spec)
	opts.IncludeResponseStatus = true
	opts.KeepValidatedValue = false
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return fmt.Errorf("%s %s → %d: %w", req.Method, r.URL.Path, status, err)
	}
	return nil
}
