package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	agentdesk "github.com/agentdesk/agentdesk"
	"github.com/agentdesk/agentdesk/api"
	"github.com/agentdesk/agentdesk/internal/account"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/audit"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/customer"
	"github.com/agentdesk/agentdesk/internal/integration"
	"github.com/agentdesk/agentdesk/internal/pii"
	"github.com/agentdesk/agentdesk/internal/plan"
	"github.com/agentdesk/agentdesk/internal/push"
	"github.com/agentdesk/agentdesk/internal/quality"
	"github.com/agentdesk/agentdesk/internal/store"
	"github.com/agentdesk/agentdesk/internal/syncer"
	"github.com/agentdesk/agentdesk/internal/webhook"
)

// Deps are what the HTTP layer needs from the rest of the program.
type Deps struct {
	DB            *store.DB
	Auth          *auth.Service
	PII           *pii.Protector
	Logger        *slog.Logger
	Clock         clock.Clock
	Registry      *prometheus.Registry
	BodyLimit     int64 // bytes; 1 MiB when 0
	BulkBodyLimit int64 // bytes, for sync and batch endpoints; 32 MiB when 0
	CORSOrigins   []string
	RateLimit     float64 // requests per second per caller; 0 disables
	RateBurst     int
	// Calendar is the working-day calendar of the complaint clocks; when
	// nil, NewHandler loads it from the database. It refreshes itself from
	// the database when used (see quality.Calendar.Refresh).
	Calendar *quality.Calendar
	// Recomputer keeps portraits and plans current in the background; when
	// set, plan-rule and toolkit changes wake it at once.
	Recomputer *plan.Recomputer
	// Reminders serves the reminder report; when nil, NewHandler builds
	// one with the default configuration for the report alone.
	Reminders *push.Service
	// Sync serves the delta-sync protocol; when nil, NewHandler builds one
	// whose cursors are signed with a key of this process alone.
	Sync *syncer.Engine
	// Webhooks manages subscriptions and deliveries; when nil, NewHandler
	// builds one with the default configuration (public targets only).
	Webhooks *webhook.Service
}

// Server implements the generated strict server interface: it translates
// HTTP to calls of the capability packages and back.
type Server struct {
	db        *store.DB
	auth      *auth.Service
	customers *customer.Service
	quality   *quality.Service
	calendar  *quality.Calendar
	audit     *audit.Recorder
	accounts  *account.Service
	log       *slog.Logger
	clock     clock.Clock
	reg       *prometheus.Registry
	recompute *plan.Recomputer
	reminders *push.Service
	// integrations serves the insurer's systems.
	integrations *integration.Service
	sync         *syncHTTP
	webhooks     *webhook.Service
}

var _ api.StrictServerInterface = (*Server)(nil)

// Spec parses the embedded contract.
func Spec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(agentdesk.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	return spec, nil
}

// NewHandler builds the whole HTTP stack: middleware, spec validation, the
// generated routes and the infrastructure routes.
func NewHandler(d Deps) (http.Handler, error) {
	if d.DB == nil || d.Auth == nil || d.PII == nil || d.Logger == nil || d.Registry == nil {
		return nil, errors.New("httpapi: DB, Auth, PII, Logger and Registry are required")
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.BodyLimit <= 0 {
		d.BodyLimit = 1 << 20
	}
	if d.BulkBodyLimit <= 0 {
		d.BulkBodyLimit = 32 << 20
	}
	spec, err := Spec()
	if err != nil {
		return nil, err
	}
	metrics, err := Metrics(d.Registry)
	if err != nil {
		return nil, err
	}
	validator, err := Validator(spec, ValidatorOptions{Skipper: func(c echo.Context) bool {
		// The token endpoint answers bad requests in OAuth's own format
		// (RFC 6749 §5.2), so it validates its form itself.
		return c.Path() == "/v1/oauth/token"
	}})
	if err != nil {
		return nil, err
	}
	authn, err := Authenticator(spec, d.Auth)
	if err != nil {
		return nil, err
	}
	idem, err := Idempotency(spec, d.DB, IdempotencyOptions{Clock: d.Clock, Logger: d.Logger,
		// These keep their answers under the key themselves: the batch its
		// per-row results, the webhook writes theirs encrypted (they hold
		// the signing secret) in the transaction of their effects.
		Skip: []string{"importIntegrationBatch", "createWebhook", "redeliverWebhookDelivery"}})
	if err != nil {
		return nil, err
	}
	if d.Calendar == nil {
		d.Calendar, err = quality.LoadCalendar(context.Background(), d.DB, quality.CalendarOptions{Clock: d.Clock})
		if err != nil {
			return nil, err
		}
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = NewErrorHandler(d.Logger)
	e.Use(
		RequestID(),
		AccessLog(d.Logger),
		metrics,
		Compress(),
		Recover(d.Logger),
		SecurityHeaders(),
		CORS(d.CORSOrigins),
		BodyLimit(d.BodyLimit, map[string]int64{
			"/v1/sync/":              d.BulkBodyLimit,
			"/v1/integrations/batch": d.BulkBodyLimit,
		}),
		authn,
		RateLimit(d.RateLimit, d.RateBurst, d.Clock),
		validator,
		idem,
	)
	if d.Reminders == nil {
		if d.Reminders, err = defaultReminders(d); err != nil {
			return nil, err
		}
	}
	if d.Webhooks == nil {
		if d.Webhooks, err = webhook.New(webhook.Deps{DB: d.DB, PII: d.PII, Clock: d.Clock, Render: WebhookRecordJSON,
			Logger: d.Logger}, webhook.DefaultConfig()); err != nil {
			return nil, err
		}
	}
	recorder := audit.New(d.DB.Client, d.Clock)
	customers := customer.NewService(d.DB, d.PII, d.Clock, recorder)
	s := &Server{
		db: d.DB, auth: d.Auth, log: d.Logger, clock: d.Clock, reg: d.Registry,
		customers: customers,
		quality:   quality.NewService(d.DB, d.Calendar, d.Clock),
		calendar:  d.Calendar,
		audit:     recorder,
		accounts:  account.NewService(d.DB, d.Auth, d.Clock),
		recompute: d.Recomputer,
		reminders: d.Reminders,
		webhooks:  d.Webhooks,
		// The integration service writes customers through the same
		// customer service, so personal data is encrypted in one place.
		integrations: integration.NewService(d.DB, customers, d.PII, d.Clock),
	}
	if d.Sync == nil {
		if d.Sync, err = defaultSync(d, recorder, s.quality); err != nil {
			return nil, err
		}
	}
	if s.sync, err = newSyncHTTP(d.Sync); err != nil {
		return nil, err
	}
	api.RegisterHandlers(e, api.NewStrictHandler(s, []api.StrictMiddlewareFunc{withRequest}))
	// The docs bundle is a static asset outside the contract.
	e.GET(RedocJSPath, RedocJS)
	return e, nil
}

func notImplemented(op string) error {
	return apperr.NotImplemented(op + " is part of the contract but not implemented yet")
}

// GetHealthz answers while the process serves HTTP.
func (s *Server) GetHealthz(ctx context.Context, _ api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return api.GetHealthz200JSONResponse{Status: api.HealthStatusOk}, nil
}

// GetReadyz answers 200 when the database answers, 503 otherwise.
func (s *Server) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "error", err)
		return nil, apperr.Unavailable("the database is unreachable")
	}
	return api.GetReadyz200JSONResponse{Status: api.ReadinessStatusOk, Checks: map[string]api.CheckState{"database": api.CheckStateOk}}, nil
}

// GetMetrics exposes the Prometheus metrics in the text format.
func (s *Server) GetMetrics(ctx context.Context, _ api.GetMetricsRequestObject) (api.GetMetricsResponseObject, error) {
	mfs, err := s.reg.Gather()
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("gather metrics: %w", err))
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, apperr.Internal(fmt.Errorf("encode metrics: %w", err))
		}
	}
	return api.GetMetrics200TextResponse(b.String()), nil
}

// GetOpenapiSpec returns openapi.yaml as written.
func (s *Server) GetOpenapiSpec(ctx context.Context, _ api.GetOpenapiSpecRequestObject) (api.GetOpenapiSpecResponseObject, error) {
	return api.GetOpenapiSpec200ApplicationyamlResponse{
		Body: bytes.NewReader(agentdesk.OpenAPIYAML), ContentLength: int64(len(agentdesk.OpenAPIYAML)),
	}, nil
}

// GetDocs renders the contract as a page that needs no internet access.
func (s *Server) GetDocs(ctx context.Context, _ api.GetDocsRequestObject) (api.GetDocsResponseObject, error) {
	page := DocsPage("/openapi.yaml")
	return api.GetDocs200TexthtmlResponse{Body: bytes.NewReader(page), ContentLength: int64(len(page))}, nil
}
