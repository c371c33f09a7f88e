package backend

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/audit"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/notify"
)

// Failed-authentication throttling: a wrong master key (login or header) or an unknown
// virtual key counts against the client's address; past the limit the address gets 429 with
// Retry-After on /v1 and /admin, whatever it sends, until the block runs out. Other addresses
// are not affected. Valid requests pay one atomic load while no address is blocked.

// throttled returns the refusal of a blocked address, or nil.
func (s *Server) throttled(ip string) *llm.Error {
	d, blocked := s.o.Throttle.Blocked(ip)
	if !blocked {
		return nil
	}
	e := llm.Errorf(http.StatusTooManyRequests, "rate_limit_error", llm.CodeRateLimitExceeded,
		"Too many failed authentication attempts from this address; retry in %d s.", secondsUp(d))
	e.RetryAfter = d
	return e
}

// adminThrottled is throttled for the admin API: its error shape, with Retry-After.
func (s *Server) adminThrottled(c echo.Context) error {
	if isDesktop(c) {
		return nil
	}
	e := s.throttled(c.RealIP())
	if e == nil {
		return nil
	}
	c.Response().Header().Set("Retry-After", e.RetryAfterSeconds())
	return &statusError{Status: http.StatusTooManyRequests, Message: e.Message}
}

func secondsUp(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// authFailed counts a failed authentication from ip; when it blocks the address, the block
// is logged, audited (login_failed) and raised as a system notification. actor is the audit
// actor; what names the credential ("master key", "virtual key").
func (s *Server) authFailed(c echo.Context, ip, actor, what string) {
	d, tripped := s.o.Throttle.Fail(ip)
	if !tripped {
		return
	}
	s.log.Warn("failed authentications: address blocked", "client_ip", ip, "credential", what, "block", d)
	path := c.Request().URL.Path
	// The audit row and the notification are written off the request path.
	go func() {
		changes := mustJSON(map[string]any{"after": map[string]any{"blocked_s": secondsUp(d), "credential": what, "path": path}})
		e := audit.Entry{ID: ids.New("aud"), Time: time.Now().UTC(), Actor: actor, ClientIP: ip,
			Action: "login_failed", Resource: "auth_throttle", ResourceID: ip, Changes: changes}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.o.Audit.InsertAudit(ctx, []audit.Entry{e}); err != nil {
			s.log.Error("audit: cannot record an address block", "err", err)
		}
		if s.o.Notify != nil {
			s.o.Notify.Notify(notify.Notification{Type: notify.TypeSystem, Severity: notify.SeverityWarning,
				Title: "Repeated failed sign-ins blocked",
				Body: "The address " + ip + " sent too many wrong " + what + "s and is refused for " +
					strconv.FormatInt(secondsUp(d), 10) + " s. If this is not one of your own tools, someone may be guessing keys."})
		}
	}()
}
