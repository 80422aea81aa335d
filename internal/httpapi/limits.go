package httpapi

import (
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
)

// RateLimit limits requests per caller — per agent or integrator for
// authenticated requests, per client address otherwise — with a token
// bucket of rps per second and burst; over it a request gets 429 with
// Retry-After. The buckets are per replica.
func RateLimit(rps float64, burst int, clk clock.Clock) echo.MiddlewareFunc {
	if rps <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	l := &limiters{rps: rate.Limit(rps), burst: burst, clock: clk, byKey: map[string]*limiterEntry{}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := "ip:" + c.RealIP()
			if v, ok := auth.ViewerFrom(c.Request().Context()); ok {
				key = v.ActorID()
			}
			if wait, ok := l.allow(key); !ok {
				return apperr.RateLimited(wait, "too many requests; slow down")
			}
			return next(c)
		}
	}
}

type limiters struct {
	rps   rate.Limit
	burst int
	clock clock.Clock
	mu    sync.Mutex
	byKey map[string]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func (l *limiters) allow(key string) (time.Duration, bool) {
	now := l.clock.Now()
	l.mu.Lock()
	e, ok := l.byKey[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(l.rps, l.burst)}
		l.byKey[key] = e
	}
	e.seen = now
	if now.Sub(l.swept) > 10*time.Minute {
		l.swept = now
		for k, x := range l.byKey {
			if now.Sub(x.seen) > 10*time.Minute {
				delete(l.byKey, k)
			}
		}
	}
	l.mu.Unlock()
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return time.Duration(math.Ceil(d.Seconds())) * time.Second, false
	}
	return 0, true
}

// CORS answers cross-origin requests from the configured origins only;
// with none configured (the default) browsers from other origins are
// refused.
func CORS(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key",
			HeaderRequestID, "Accept-Encoding"},
		ExposeHeaders: []string{"ETag", "Location", "Retry-After", HeaderRequestID, "AgentDesk-Upsert-Result"},
		MaxAge:        600,
	})
}
