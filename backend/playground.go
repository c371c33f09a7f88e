package backend

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/keys"
	"github.com/conduit-gw/conduit/internal/store"
)

// The playground lets the signed-in admin (web UI session) and the desktop window use /v1
// from the Chat page without pasting a key. Its requests run as a built-in virtual key, so
// they are authorised, limited, priced and logged like any key's, under PlaygroundKeyID.
const (
	// PlaygroundHeader asks for the playground identity. A page of another origin cannot
	// send it without a CORS preflight, and the session cookie is SameSite=Strict.
	PlaygroundHeader = "X-Conduit-Playground"
	// PlaygroundKeyID is the id of the built-in key (logs, usage, /admin/keys).
	PlaygroundKeyID = "key_playground"
	playgroundName  = "Playground"
)

// playground holds the built-in key's plaintext, derived from the master key so that nothing
// needs storing: a new master key moves the key row to a new hash.
type playground struct {
	once  sync.Once
	token string
	mu    sync.Mutex // serialises creating or moving the key row
}

func (p *playground) key(master string) string {
	p.once.Do(func() {
		m := hmac.New(sha256.New, []byte(master))
		m.Write([]byte("conduit playground key v1"))
		p.token = keys.Prefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	})
	return p.token
}

// usePlayground admits a /v1 request that asks for the playground (PlaygroundHeader, no key
// of its own) from the desktop window or a same-origin page with a valid admin session, by
// handing the handler the built-in key. Other requests pass unchanged: without a key they get
// the usual 401.
func (s *Server) usePlayground(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Header.Get(PlaygroundHeader) == "" || bearer(r) != "" {
			return next(c)
		}
		actor := s.playgroundActor(c)
		if actor == "" {
			return next(c)
		}
		tok, err := s.ensurePlayground(c, actor)
		if err != nil {
			s.log.Error("playground: cannot prepare the built-in key", "err", err)
			return next(c)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		return next(c)
	}
}

// playgroundActor is who may use the playground: the desktop window, or a same-origin page
// with a valid session; "" for anyone else.
func (s *Server) playgroundActor(c echo.Context) string {
	if isDesktop(c) {
		return actorDesktop
	}
	r := c.Request()
	if !sameOrigin(r) {
		return ""
	}
	if ck, err := c.Cookie(sessionCookie(r.Host)); err == nil && s.sessions.valid(r.Context(), ck.Value, time.Now()) {
		return actorSession
	}
	return ""
}

// sameOrigin refuses requests a browser marks as coming from another site or origin.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// ensurePlayground returns the built-in key's plaintext, creating its row (or moving it to
// the current master key's hash) on first use. An admin may give it limits, a budget or
// disable it like any key; deleting it only resets it to the defaults on next use.
func (s *Server) ensurePlayground(c echo.Context, actor string) (string, error) {
	tok := s.pg.key(s.o.MasterKey)
	h := keys.Hash(tok)
	if s.o.Config.Load().Keys[h] != nil {
		return tok, nil
	}
	s.pg.mu.Lock()
	defer s.pg.mu.Unlock()
	if s.o.Config.Load().Keys[h] != nil {
		return tok, nil
	}
	ctx := c.Request().Context()
	c.Set(ctxActor, actor)
	before, err := s.o.Keys.Get(ctx, PlaygroundKeyID)
	switch {
	case err == nil:
		after := before
		after.KeyHash, after.KeyPrefix = keys.HashHex(tok), keys.DisplayPrefix(tok)
		if err := s.o.Keys.Update(ctx, &after); err != nil {
			return "", fmt.Errorf("moving the playground key to the master key: %w", err)
		}
		return tok, s.changed(c, "update", "key", after.ID, before, after)
	case errors.Is(err, store.ErrNotFound):
		k := config.Key{
			ID: PlaygroundKeyID, Name: playgroundName, KeyHash: keys.HashHex(tok), KeyPrefix: keys.DisplayPrefix(tok),
			BudgetDuration: config.BudgetTotal, Enabled: true, AllowedModels: []string{},
			Metadata: json.RawMessage(`{"builtin":"playground"}`),
		}
		if err := s.o.Keys.Create(ctx, &k); err != nil {
			return "", fmt.Errorf("creating the playground key: %w", err)
		}
		return tok, s.changed(c, "create", "key", k.ID, nil, k)
	default:
		return "", err
	}
}
