package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/audit"
	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/store"
)

// AuditStore keeps the audit trail of admin actions (/admin/audit).
type AuditStore interface {
	InsertAudit(ctx context.Context, entries []audit.Entry) error
	ListAudit(ctx context.Context, limit int, before string, resource string) ([]audit.Entry, error)
}

func (s *Server) adminRoutes(g *echo.Group) {
	g.POST("/login", s.login)
	g.POST("/logout", s.logout)
	a := g.Group("", s.requireAdmin)

	providers := collection[config.Provider, providerView]{s: s, name: "provider",
		rows: s.o.Providers, view: s.providerView, removed: s.providerRemoved, create: s.createProvider, edit: s.editProvider,
		cascade: deploymentsOf(s, func(p config.Provider, d config.Deployment) bool { return d.ProviderID == p.ID })}
	providers.mount(a, "/providers")
	a.POST("/providers/:id/test", s.testProvider)
	a.GET("/provider-types", s.providerTypes)

	models := collection[config.Deployment, deploymentView]{s: s, name: "model",
		rows: s.o.Deployments, view: s.deploymentView,
		create: s.createDeployment, edit: s.editDeployment,
		cascade: deploymentsOf(s, func(m, d config.Deployment) bool { return d.ID == m.ID })}
	models.mount(a, "/models")

	a.GET("/router", s.getRouter)
	a.PUT("/router", s.putRouter)

	keys := collection[config.Key, keyView]{s: s, name: "key",
		rows: s.o.Keys, view: s.keyView,
		removed: func(_ context.Context, k config.Key) { s.o.Spend.Forget(k.ID) },
		create:  s.createKey, edit: s.editKey}
	keys.mount(a, "/keys")

	a.GET("/costs", s.listCosts)
	a.POST("/costs", s.createCost)
	a.PATCH("/costs/:id", s.updateCost)
	a.DELETE("/costs/:id", s.deleteCost)

	a.GET("/settings", s.getSettings)
	a.PATCH("/settings", s.patchSettings)

	a.GET("/system", s.system)
	a.GET("/backup", s.backup)
	a.GET("/logs", s.listLogs)
	a.GET("/logs/:id", s.getLog)
	a.GET("/usage", s.usageSummary)
	a.GET("/audit", s.listAudit)
	a.GET("/notifications", s.listNotifications)
	a.POST("/notifications/read-all", s.readAllNotifications)
	a.POST("/notifications/:id/read", s.readNotification)
	a.GET("/events", s.events)
}

// list wraps rows in {"data": [...]}, never null.
func list[T any](rows []T) map[string]any {
	if rows == nil {
		rows = []T{}
	}
	return map[string]any{"data": rows}
}

// readObject reads a JSON object body field by field.
func readObject(c echo.Context) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	if err != nil {
		return nil, invalid("", "could not read the request body")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, invalid("", "the body must be a JSON object")
	}
	return m, nil
}

// bindStrict decodes a JSON object into v, refusing unknown fields.
func bindStrict(c echo.Context, v any) error {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalid(te.Field, "wrong type: expected "+te.Type.String())
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return invalid(f, "unknown field "+strconv.Quote(f))
		}
		return invalid("", "the body must be a JSON object")
	}
	return nil
}

// storeErr maps store errors to admin errors.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return notFound(what)
	default:
		return err
	}
}

// changed applies a change to the live configuration and records it in the audit trail.
func (s *Server) changed(c echo.Context, action, resource, id string, before, after any) error {
	if err := s.o.Config.Reload(c.Request().Context()); err != nil {
		return err
	}
	s.audit(c, action, resource, id, before, after)
	return nil
}

// audit records an admin action. Records hold no secrets: API keys are write-only and key
// hashes are never serialised.
func (s *Server) audit(c echo.Context, action, resource, id string, before, after any) {
	actor, _ := c.Get(ctxActor).(string)
	if actor == "" {
		actor = actorSession
	}
	var changes json.RawMessage
	if before != nil || after != nil {
		changes, _ = json.Marshal(map[string]any{"before": before, "after": after})
	}
	e := audit.Entry{ID: ids.New("aud"), Time: time.Now().UTC(), Actor: actor, ClientIP: c.RealIP(),
		Action: action, Resource: resource, ResourceID: id, Changes: changes}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	if err := s.o.Audit.InsertAudit(ctx, []audit.Entry{e}); err != nil {
		s.log.Error("audit: cannot record admin action", "action", action, "resource", resource, "err", err)
	}
}

func (s *Server) listAudit(c echo.Context) error {
	limit, err := intParam(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	rows, err := s.o.Audit.ListAudit(c.Request().Context(), limit, c.QueryParam("before"), c.QueryParam("resource"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(rows))
}

func intParam(c echo.Context, name string, def, minV, maxV int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < minV || n > maxV {
		return 0, invalid(name, name+" must be an integer from "+strconv.Itoa(minV)+" to "+strconv.Itoa(maxV))
	}
	return n, nil
}
