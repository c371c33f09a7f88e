package backend

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/store"
	"github.com/conduit-gw/conduit/internal/usage"
)

// LogStore is what /admin/logs and /admin/usage read.
type LogStore interface {
	ListLogs(ctx context.Context, f usage.LogFilter) ([]usage.Record, error)
	GetLog(ctx context.Context, id string) (usage.Record, error)
	GetBody(ctx context.Context, id string) (store.Body, error)
	Summarize(ctx context.Context, from, to time.Time, groupBy string) ([]usage.Group, error)
}

// Database is what /ready and /admin/system ask of the database itself.
type Database interface {
	Ping(ctx context.Context) error
	Path() string
	SizeBytes() int64
	Counts(ctx context.Context) (map[string]int64, error)
}

type providerHealth struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Enabled   bool    `json:"enabled"`
	Status    string  `json:"status"`
	LastError string  `json:"last_error"`
	LatencyMS float64 `json:"latency_ms"`
}

func (s *Server) system(c echo.Context) error {
	ctx := c.Request().Context()
	counts, err := s.o.Database.Counts(ctx)
	if err != nil {
		return err
	}
	snap := s.o.Config.Load()
	var health []providerHealth
	for _, p := range snap.Providers {
		h := providerHealth{ID: p.ID, Name: p.Name, Type: p.Type, Enabled: p.Enabled, Status: s.providerStatus(p.ID)}
		if p.Err != nil {
			h.Status, h.LastError = "down", p.Err.Error()
		}
		var n float64
		for _, a := range snap.Aliases {
			for _, d := range a.Deployments {
				if d.ProviderID == p.ID {
					dh := s.o.Router.Health(d.ID)
					if dh.LastError != "" && h.LastError == "" {
						h.LastError = dh.LastError
					}
					if dh.LatencyMS > 0 {
						h.LatencyMS += dh.LatencyMS
						n++
					}
				}
			}
		}
		if n > 0 {
			h.LatencyMS /= n
		}
		health = append(health, h)
	}
	sort.Slice(health, func(i, j int) bool { return health[i].Name < health[j].Name })
	if health == nil {
		health = []providerHealth{}
	}
	return c.JSON(http.StatusOK, map[string]any{
		"version":         s.o.Version,
		"uptime_s":        int64(time.Since(s.started).Seconds()),
		"started_at":      s.started.UTC(),
		"mode":            s.o.Mode,
		"db_path":         s.o.Database.Path(),
		"db_bytes":        s.o.Database.SizeBytes(),
		"secrets_backend": s.o.Secrets.Backend(),
		"counts":          counts,
		"providers":       health,
		"provider_types":  s.o.Registry.Names(),
		"base_url":        s.clientBaseURL(c),
	})
}

func (s *Server) listLogs(c echo.Context) error {
	limit, err := intParam(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	f := usage.LogFilter{Limit: limit, Before: c.QueryParam("before"), KeyID: c.QueryParam("key_id"),
		Alias: c.QueryParam("model"), ModelContains: strings.TrimSpace(c.QueryParam("model_contains")),
		ProviderID: c.QueryParam("provider_id"), ID: strings.TrimSpace(c.QueryParam("id"))}
	switch c.QueryParam("errors") {
	case "", "0", "false":
	case "1", "true":
		f.ErrorsOnly = true
	default:
		return invalid("errors", "errors must be 1 or 0")
	}
	if v := c.QueryParam("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			return invalid("status", "status must be an HTTP status code")
		}
		f.Status = n
	}
	if f.From, err = timeParam(c, "from"); err != nil {
		return err
	}
	if f.To, err = timeParam(c, "to"); err != nil {
		return err
	}
	rows, err := s.o.Logs.ListLogs(c.Request().Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(rows) == limit {
		next = rows[len(rows)-1].ID
	}
	out := list(s.logViews(rows))
	out["next"] = next
	return c.JSON(http.StatusOK, out)
}

// getLog returns one request log row with its bodies when they were kept.
func (s *Server) getLog(c echo.Context) error {
	ctx := c.Request().Context()
	r, err := s.o.Logs.GetLog(ctx, c.Param("id"))
	if err != nil {
		return storeErr(err, "request log")
	}
	out := struct {
		logView
		RequestBody  *string `json:"request_body"`
		ResponseBody *string `json:"response_body"`
		TraceURL     string  `json:"trace_url,omitempty"`
	}{logView: s.logViews([]usage.Record{r})[0]}
	if r.TraceID != "" && s.o.TraceURL != "" {
		out.TraceURL = strings.ReplaceAll(s.o.TraceURL, "{trace_id}", r.TraceID)
	}
	if b, err := s.o.Logs.GetBody(ctx, r.ID); err == nil {
		out.RequestBody, out.ResponseBody = &b.Request, &b.Response
	} else if storeErr(err, "") == err {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func timeParam(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, invalid(name, name+" must be an RFC 3339 time or a date (2006-01-02)")
}

func (s *Server) usageSummary(c echo.Context) error {
	groupBy := c.QueryParam("group_by")
	if groupBy == "" {
		groupBy = usage.GroupByDay
	}
	switch groupBy {
	case usage.GroupByKey, usage.GroupByModel, usage.GroupByProvider, usage.GroupByDay:
	default:
		return invalid("group_by", "group_by must be key, model, provider or day")
	}
	from, err := timeParam(c, "from")
	if err != nil {
		return err
	}
	to, err := timeParam(c, "to")
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if to.IsZero() {
		to = now.Add(time.Minute)
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	if !from.Before(to) {
		return invalid("from", "from must be before to")
	}
	rows, err := s.o.Logs.Summarize(c.Request().Context(), from, to, groupBy)
	if err != nil {
		return err
	}
	unpriced := s.unpricedModels()
	out := list(groupViews(groupBy, rows, unpriced))
	out["from"], out["to"], out["group_by"] = from, to, groupBy
	out["unpriced"] = unpriced
	return c.JSON(http.StatusOK, out)
}
