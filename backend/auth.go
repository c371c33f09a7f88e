package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/keys"
)

// sessionCookieBase starts the session cookie's name; sessionCookie adds the port.
const sessionCookieBase = "conduit_session"

// sessionCookie names the session cookie for a request to host (its Host header):
// conduit_session_PORT when the browser reached the server on an explicit port, else
// conduit_session. Browsers scope cookies by host alone, not by port, so two servers on one
// machine sharing one name would log each other out; named by the port the browser sees (not
// the one the server listens on), instances behind one load balancer still share a login.
func sessionCookie(host string) string {
	_, port, err := net.SplitHostPort(host)
	if err != nil || port == "" || strings.Trim(port, "0123456789") != "" {
		return sessionCookieBase
	}
	return sessionCookieBase + "_" + port
}

// Actors recorded in the audit trail.
const (
	actorMasterKey = "master_key"
	actorSession   = "session"
	actorDesktop   = "desktop"
)

type desktopKey struct{}

// DesktopHandler serves h to the desktop app's own window. Its requests never cross the
// network (the Wails asset server calls the handler in process), so they are admitted to the
// admin API as the "desktop" actor without a login.
func DesktopHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), desktopKey{}, true)))
	})
}

// SessionStore keeps the web UI's logins by the hash of their token; the store does, so that
// logins survive restarts and work on every instance sharing the database.
type SessionStore interface {
	CreateSession(ctx context.Context, tokenHash string, expires time.Time) error
	SessionValid(ctx context.Context, tokenHash string, now time.Time) (bool, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// sessions are the web UI's logins, kept in db (or in memory without one) by the SHA-256 of
// their token.
type sessions struct {
	ttl time.Duration
	db  SessionStore
	log interface{ Error(string, ...any) }
	mu  sync.Mutex
	m   map[[32]byte]time.Time // expiry, without db
}

func newSessions(ttl time.Duration, db SessionStore, log interface{ Error(string, ...any) }) *sessions {
	return &sessions{ttl: ttl, db: db, log: log, m: map[[32]byte]time.Time{}}
}

func (s *sessions) create(ctx context.Context, now time.Time) (string, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	h := keys.Hash(tok)
	if s.db != nil {
		if err := s.db.CreateSession(ctx, hex.EncodeToString(h[:]), now.Add(s.ttl)); err != nil {
			return "", err
		}
		return tok, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, exp := range s.m { // drop expired sessions as new ones come
		if now.After(exp) {
			delete(s.m, h)
		}
	}
	s.m[h] = now.Add(s.ttl)
	return tok, nil
}

func (s *sessions) valid(ctx context.Context, tok string, now time.Time) bool {
	if tok == "" {
		return false
	}
	h := keys.Hash(tok)
	if s.db != nil {
		ok, err := s.db.SessionValid(ctx, hex.EncodeToString(h[:]), now)
		if err != nil {
			s.log.Error("admin: checking a session", "err", err)
		}
		return ok
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[h]
	return ok && now.Before(exp)
}

func (s *sessions) delete(ctx context.Context, tok string) {
	h := keys.Hash(tok)
	if s.db != nil {
		if err := s.db.DeleteSession(ctx, hex.EncodeToString(h[:])); err != nil {
			s.log.Error("admin: ending a session", "err", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, h)
}

// headerKey returns the master key candidate from Authorization: Bearer or X-API-Key.
func headerKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return r.Header.Get("X-API-Key")
}

const ctxActor = "conduit.actor"

// actorVirtualKey is the audit actor of a blocked /v1 client (login_failed).
const actorVirtualKey = "virtual_key"

// requireMaster admits requests carrying the master key in a header.
func (s *Server) requireMaster(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.adminThrottled(c); err != nil {
			return err
		}
		k := headerKey(c.Request())
		if k != "" && keys.Equal(k, s.o.MasterKey) {
			c.Set(ctxActor, actorMasterKey)
			return next(c)
		}
		if k != "" {
			s.authFailed(c, c.RealIP(), actorMasterKey, "master key")
		}
		return &statusError{Status: http.StatusUnauthorized, Message: "missing or wrong master key"}
	}
}

// requireAdmin admits the master key in a header or a valid session cookie. A cookie only
// admits writes (anything but GET and HEAD) from the UI's own origin.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.adminThrottled(c); err != nil {
			return err
		}
		r := c.Request()
		if k := headerKey(r); k != "" {
			if keys.Equal(k, s.o.MasterKey) {
				c.Set(ctxActor, actorMasterKey)
				return next(c)
			}
			s.authFailed(c, c.RealIP(), actorMasterKey, "master key")
			c.Set(ctxActor, actorMasterKey)
			s.audit(c, "login_failed", "master_key", "", nil, nil)
			return &statusError{Status: http.StatusUnauthorized, Message: "wrong master key"}
		}
		if ck, err := c.Cookie(sessionCookie(c.Request().Host)); err == nil && s.sessions.valid(c.Request().Context(), ck.Value, time.Now()) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead && !ownOrigin(r) {
				return &statusError{Status: http.StatusForbidden,
					Message: "cross-origin request refused: admin changes made with the session cookie must come from the Conduit web UI's own origin"}
			}
			c.Set(ctxActor, actorSession)
			return next(c)
		}
		if desktop, _ := c.Request().Context().Value(desktopKey{}).(bool); desktop {
			c.Set(ctxActor, actorDesktop)
			return next(c)
		}
		return &statusError{Status: http.StatusUnauthorized, Message: "log in with the master key"}
	}
}

func (s *Server) login(c echo.Context) error {
	if err := s.adminThrottled(c); err != nil {
		return err
	}
	if crossOrigin(c.Request()) {
		return &statusError{Status: http.StatusForbidden, Message: "cross-origin login refused: log in from the Conduit web UI's own origin"}
	}
	var in struct {
		MasterKey string `json:"master_key"`
	}
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	if in.MasterKey == "" {
		return invalid("master_key", "master_key is required")
	}
	if !keys.Equal(in.MasterKey, s.o.MasterKey) {
		s.authFailed(c, c.RealIP(), actorSession, "master key")
		s.audit(c, "login_failed", "session", "", nil, nil)
		return &statusError{Status: http.StatusUnauthorized, Message: "wrong master key"}
	}
	tok, err := s.sessions.create(c.Request().Context(), time.Now())
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie(c.Request().Host), Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.IsTLS(), MaxAge: int(s.sessions.ttl / time.Second),
	})
	c.Set(ctxActor, actorSession)
	s.audit(c, "login", "session", "", nil, nil)
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie(c.Request().Host)); err == nil {
		s.sessions.delete(c.Request().Context(), ck.Value)
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie(c.Request().Host), Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}
