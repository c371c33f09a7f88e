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
	err := applyFields(f, map[string]fieldReader{
		"model_pattern":         strField(&r.ModelPattern),
		"input_per_mtok":        floatField(&r.InputPerMTok),
		"output_per_mtok":       floatField(&r.OutputPerMTok),
		"cached_input_per_mtok": optFloatField(&r.CachedInputPerMTok),
		"per_image":             optFloatField(&r.PerImage),
		"per_second":            optFloatField(&r.PerSecond),
		"per_1k_chars":          optFloatField(&r.Per1KChars),
		"per_search_unit":       optFloatField(&r.PerSearchUnit),
	}, "id", "source", "created_at", "updated_at")
	if err != nil {
		return err
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

// customCost returns the custom cost row named by the request's :id; a shipped default
// price is refused.
func (s *Server) customCost(c echo.Context) (config.Cost, error) {
	if strings.HasPrefix(c.Param("id"), "default:") {
		return config.Cost{}, defaultPriceError()
	}
	r, err := s.o.Costs.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return config.Cost{}, storeErr(err, "cost")
	}
	return r, nil
}

func (s *Server) updateCost(c echo.Context) error {
	before, err := s.customCost(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
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
	before, err := s.customCost(c)
	if err != nil {
		return err
	}
	if err := s.o.Costs.Delete(c.Request().Context(), before.ID); err != nil {
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
	err := applyFields(f, map[string]fieldReader{
		"strategy": func(name string, raw json.RawMessage) error {
			if err := readStr(name, raw, &r.Strategy); err != nil {
				return err
			}
			switch r.Strategy {
			case config.StrategySimple, config.StrategyRandom, config.StrategyRoundRobin,
				config.StrategyWeighted, config.StrategyLeastLatency, config.StrategyLeastCost:
				return nil
			}
			return invalid(name, "strategy must be one of simple, random, round_robin, weighted, least_latency, least_cost")
		},
		"max_retries":              intField(&r.MaxRetries, 0, 20),
		"retry_base_ms":            intField(&r.RetryBaseMS, 0, 600_000),
		"retry_max_ms":             intField(&r.RetryMaxMS, 0, 600_000),
		"cooldown_after_failures":  intField(&r.CooldownAfterFailures, 0, 1000),
		"cooldown_s":               intField(&r.CooldownS, 0, 86_400),
		"health_check_interval_s":  intField(&r.HealthCheckIntervalS, 0, 86_400),
		"fallbacks":                fallbacksField(&r.Fallbacks),
		"context_window_fallbacks": fallbacksField(&r.ContextWindowFallbacks),
		"first_token_timeout_ms":   intField(&r.FirstTokenTimeoutMS, 0, 3_600_000),
		"stream_idle_timeout_ms":   intField(&r.StreamIdleTimeoutMS, 0, 3_600_000),
	})
	if err != nil {
		return err
	}
	if r.RetryMaxMS < r.RetryBaseMS {
		return invalid("retry_max_ms", "retry_max_ms must be at least retry_base_ms")
	}
	return nil
}

// fallbacksField reads a map from an alias to the aliases tried after it (null: none).
func fallbacksField(dst *map[string][]string) fieldReader {
	return func(name string, raw json.RawMessage) (err error) {
		*dst, err = readFallbacks(name, raw)
		return err
	}
}

func readFallbacks(name string, raw json.RawMessage) (map[string][]string, error) {
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
	apply := func(r *config.Router, f map[string]json.RawMessage) error {
		before := copyFallbacks(*r)
		if err := applyRouter(r, f); err != nil {
			return err
		}
		return s.checkFallbacks(c.Request().Context(), before, *r)
	}
	r, err := singleton[config.Router]{s: s, name: "router", get: s.o.Settings.GetRouter, put: s.o.Settings.PutRouter,
		apply: apply, copy: copyFallbacks}.patch(c)
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
	return applyFields(f, map[string]fieldReader{
		"notify_desktop":     boolField(&st.NotifyDesktop),
		"notify_webhook_url": urlField(&st.NotifyWebhookURL),
		"budget_alert_percents": func(name string, raw json.RawMessage) error {
			var p []int
			if json.Unmarshal(raw, &p) != nil {
				return invalid(name, "budget_alert_percents must be an array of integers")
			}
			for _, v := range p {
				if v < 1 || v > 1000 {
					return invalid(name, "each budget alert percent must be between 1 and 1000")
				}
			}
			sort.Ints(p)
			st.BudgetAlertPercents = compactInts(p)
			return nil
		},
		"expiry_warning_days": intField(&st.ExpiryWarningDays, 0, 365),
		"log_bodies":          boolField(&st.LogBodies),
		"log_retention_days":  intField(&st.LogRetentionDays, 1, 3650),
		"autostart":           boolField(&st.Autostart),
		"cors_origins": func(name string, raw json.RawMessage) error {
			return corsOriginsField(name, raw, &st.CORSOrigins)
		},
	})
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
