package backend

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/pricing"
)

// SettingsStore is what /admin/router and /admin/settings read and write.
type SettingsStore interface {
	GetRouter(ctx context.Context) (config.Router, error)
	PutRouter(ctx context.Context, r config.Router) error
	GetSettings(ctx context.Context) (config.Settings, error)
	PutSettings(ctx context.Context, s config.Settings) error
}

// ---- model costs ----

func (s *Server) listCosts(c echo.Context) error {
	custom, err := s.o.Costs.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]pricing.Row, 0, len(custom)+len(s.o.DefaultPrices))
	for _, r := range custom {
		out = append(out, pricing.Row{Cost: r, Source: pricing.SourceCustom})
	}
	out = append(out, s.o.DefaultPrices...)
	if q := strings.ToLower(c.QueryParam("q")); q != "" {
		kept := out[:0]
		for _, r := range out {
			if strings.Contains(strings.ToLower(r.ModelPattern), q) {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	return c.JSON(http.StatusOK, list(out))
}

func applyCost(r *config.Cost, f map[string]json.RawMessage) error {
	for name, raw := range f {
		var err error
		switch name {
		case "model_pattern":
			err = strField(name, raw, &r.ModelPattern)
		case "input_per_mtok":
			err = floatField(name, raw, &r.InputPerMTok)
		case "output_per_mtok":
			err = floatField(name, raw, &r.OutputPerMTok)
		case "cached_input_per_mtok":
			err = optFloatField(name, raw, &r.CachedInputPerMTok)
		case "per_image":
			err = optFloatField(name, raw, &r.PerImage)
		case "id", "source", "created_at", "updated_at":
		default:
			err = unknownField(name)
		}
		if err != nil {
			return err
		}
	}
	if r.ModelPattern == "" {
		return invalid("model_pattern", "model_pattern is required")
	}
	if len(r.ModelPattern) > 200 {
		return invalid("model_pattern", "model_pattern must be at most 200 characters")
	}
	return nil
}

func (s *Server) costPatternFree(c echo.Context, r config.Cost) error {
	all, err := s.o.Costs.List(c.Request().Context())
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != r.ID && strings.EqualFold(o.ModelPattern, r.ModelPattern) {
			return invalid("model_pattern", "a custom price for "+`"`+r.ModelPattern+`"`+" already exists; edit it instead")
		}
	}
	return nil
}

func (s *Server) createCost(c echo.Context) error {
	f, err := readObject(c)
	if err != nil {
		return err
	}
	r := config.Cost{ID: ids.New("cost")}
	if err := applyCost(&r, f); err != nil {
		return err
	}
	if _, ok := f["input_per_mtok"]; !ok {
		return invalid("input_per_mtok", "input_per_mtok is required")
	}
	if _, ok := f["output_per_mtok"]; !ok {
		return invalid("output_per_mtok", "output_per_mtok is required")
	}
	if err := s.costPatternFree(c, r); err != nil {
		return err
	}
	if err := s.o.Costs.Create(c.Request().Context(), &r); err != nil {
		return err
	}
	if err := s.changed(c, "create", "cost", r.ID, nil, r); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, pricing.Row{Cost: r, Source: pricing.SourceCustom})
}

func defaultPriceError() error {
	return invalid("id", "shipped default prices cannot be changed; add a custom row with the same model_pattern to override it")
}

func (s *Server) updateCost(c echo.Context) error {
	if strings.HasPrefix(c.Param("id"), "default:") {
		return defaultPriceError()
	}
	ctx := c.Request().Context()
	before, err := s.o.Costs.Get(ctx, c.Param("id"))
	if err != nil {
		return storeErr(err, "cost")
	}
	f, err := readObject(c)
	if err != nil {
		return err
	}
	r := before
	if err := applyCost(&r, f); err != nil {
		return err
	}
	if err := s.costPatternFree(c, r); err != nil {
		return err
	}
	if err := s.o.Costs.Update(ctx, &r); err != nil {
		return storeErr(err, "cost")
	}
	if err := s.changed(c, "update", "cost", r.ID, before, r); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pricing.Row{Cost: r, Source: pricing.SourceCustom})
}

func (s *Server) deleteCost(c echo.Context) error {
	if strings.HasPrefix(c.Param("id"), "default:") {
		return defaultPriceError()
	}
	ctx := c.Request().Context()
	before, err := s.o.Costs.Get(ctx, c.Param("id"))
	if err != nil {
		return storeErr(err, "cost")
	}
	if err := s.o.Costs.Delete(ctx, before.ID); err != nil {
		return storeErr(err, "cost")
	}
	if err := s.changed(c, "delete", "cost", before.ID, before, nil); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- router ----

func (s *Server) getRouter(c echo.Context) error {
	r, err := s.o.Settings.GetRouter(c.Request().Context())
	if err != nil {
		return err
	}
	if r.Fallbacks == nil {
		r.Fallbacks = map[string][]string{}
	}
	if r.ContextWindowFallbacks == nil {
		r.ContextWindowFallbacks = map[string][]string{}
	}
	return c.JSON(http.StatusOK, r)
}

func applyRouter(r *config.Router, f map[string]json.RawMessage) error {
	for name, raw := range f {
		var err error
		switch name {
		case "strategy":
			err = strField(name, raw, &r.Strategy)
			switch r.Strategy {
			case config.StrategySimple, config.StrategyRandom, config.StrategyRoundRobin,
				config.StrategyWeighted, config.StrategyLeastLatency, config.StrategyLeastCost:
			default:
				err = invalid(name, "strategy must be one of simple, random, round_robin, weighted, least_latency, least_cost")
			}
		case "max_retries":
			err = intField(name, raw, &r.MaxRetries, 0, 20)
		case "retry_base_ms":
			err = intField(name, raw, &r.RetryBaseMS, 0, 600_000)
		case "retry_max_ms":
			err = intField(name, raw, &r.RetryMaxMS, 0, 600_000)
		case "cooldown_after_failures":
			err = intField(name, raw, &r.CooldownAfterFailures, 0, 1000)
		case "cooldown_s":
			err = intField(name, raw, &r.CooldownS, 0, 86_400)
		case "health_check_interval_s":
			err = intField(name, raw, &r.HealthCheckIntervalS, 0, 86_400)
		case "fallbacks":
			r.Fallbacks, err = fallbacksField(name, raw)
		case "context_window_fallbacks":
			r.ContextWindowFallbacks, err = fallbacksField(name, raw)
		case "first_token_timeout_ms":
			err = intField(name, raw, &r.FirstTokenTimeoutMS, 0, 3_600_000)
		case "stream_idle_timeout_ms":
			err = intField(name, raw, &r.StreamIdleTimeoutMS, 0, 3_600_000)
		default:
			err = unknownField(name)
		}
		if err != nil {
			return err
		}
	}
	if r.RetryMaxMS < r.RetryBaseMS {
		return invalid("retry_max_ms", "retry_max_ms must be at least retry_base_ms")
	}
	return nil
}

// fallbacksField reads a map from an alias to the aliases tried after it (null: none).
func fallbacksField(name string, raw json.RawMessage) (map[string][]string, error) {
	fb := map[string][]string{}
	if isNull(raw) {
		return fb, nil
	}
	if json.Unmarshal(raw, &fb) != nil {
		return nil, invalid(name, name+` must map an alias to a list of aliases, e.g. {"gpt-4o":["claude"]}`)
	}
	for alias, chain := range fb {
		if alias == "" {
			return nil, invalid(name, name+": an alias must not be empty")
		}
		for _, to := range chain {
			if to == "" || to == alias {
				return nil, invalid(name, name+" for "+`"`+alias+`"`+" must name other, non-empty aliases")
			}
		}
	}
	return fb, nil
}

func (s *Server) putRouter(c echo.Context) error {
	r, err := singleton[config.Router]{s: s, name: "router", get: s.o.Settings.GetRouter, put: s.o.Settings.PutRouter,
		apply: applyRouter, copy: copyFallbacks}.patch(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// copyFallbacks gives r a map of its own, so that applying a change leaves the stored one be.
func copyFallbacks(r config.Router) config.Router {
	r.Fallbacks = maps.Clone(r.Fallbacks)
	r.ContextWindowFallbacks = maps.Clone(r.ContextWindowFallbacks)
	return r
}

// ---- settings ----

func (s *Server) getSettings(c echo.Context) error {
	st, err := s.o.Settings.GetSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func applySettings(st *config.Settings, f map[string]json.RawMessage) error {
	for name, raw := range f {
		var err error
		switch name {
		case "notify_desktop":
			err = boolField(name, raw, &st.NotifyDesktop)
		case "notify_webhook_url":
			err = urlField(name, raw, &st.NotifyWebhookURL)
		case "budget_alert_percents":
			var p []int
			if json.Unmarshal(raw, &p) != nil {
				err = invalid(name, "budget_alert_percents must be an array of integers")
				break
			}
			for _, v := range p {
				if v < 1 || v > 1000 {
					err = invalid(name, "each budget alert percent must be between 1 and 1000")
				}
			}
			sort.Ints(p)
			st.BudgetAlertPercents = compactInts(p)
		case "expiry_warning_days":
			err = intField(name, raw, &st.ExpiryWarningDays, 0, 365)
		case "log_bodies":
			err = boolField(name, raw, &st.LogBodies)
		case "log_retention_days":
			err = intField(name, raw, &st.LogRetentionDays, 1, 3650)
		case "autostart":
			err = boolField(name, raw, &st.Autostart)
		case "cors_origins":
			err = corsOriginsField(name, raw, &st.CORSOrigins)
		default:
			err = unknownField(name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func compactInts(v []int) []int {
	out := []int{}
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) patchSettings(c echo.Context) error {
	st, err := singleton[config.Settings]{s: s, name: "settings", get: s.o.Settings.GetSettings, put: s.o.Settings.PutSettings,
		apply: applySettings}.patch(c)
	if err != nil {
		return err
	}
	if s.o.OnSettings != nil {
		s.o.OnSettings(st)
	}
	return c.JSON(http.StatusOK, st)
}
