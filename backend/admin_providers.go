package backend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/trust"
)

// providerView is a provider as the admin API shows it.
type providerView struct {
	config.Provider
	DefaultBaseURL string `json:"default_base_url"`
	Status         string `json:"status"`
}

func (s *Server) providerView(p config.Provider) providerView {
	return providerView{Provider: p, DefaultBaseURL: s.o.Registry.DefaultBaseURL(p.Type), Status: s.providerStatus(p.ID)}
}

// apiKeyChange is what a request says about a provider's API key.
type apiKeyChange struct {
	set   bool   // the field was present
	value string // "" removes the key
}

// applyProvider applies the fields of a create or update request to p and checks the result
// against the provider types of the build.
func applyProvider(types *providers.Registry, p *config.Provider, f map[string]json.RawMessage, key *apiKeyChange) error {
	err := applyFields(f, map[string]fieldReader{
		"name":          strField(&p.Name),
		"type":          strField(&p.Type),
		"base_url":      urlField(&p.BaseURL),
		"api_version":   strField(&p.APIVersion),
		"enabled":       boolField(&p.Enabled),
		"responses_api": boolField(&p.ResponsesAPI),
		"timeout_ms":    intField(&p.TimeoutMS, 0, 3_600_000),
		"ca_cert": func(name string, raw json.RawMessage) error {
			p.CACert = ""
			if isNull(raw) {
				return nil
			}
			if err := readStr(name, raw, &p.CACert); err != nil {
				return err
			}
			if strings.TrimSpace(p.CACert) != "" {
				if err := trust.Check(p.CACert); err != nil {
					return invalid(name, err.Error())
				}
			}
			return nil
		},
		"api_key": func(name string, raw json.RawMessage) error {
			key.set = true
			if isNull(raw) {
				return nil
			}
			return readStr(name, raw, &key.value)
		},
	}, "id", "api_key_set", "created_at", "updated_at", "default_base_url", "status")
	if err != nil {
		return err
	}
	typ, known := types.Lookup(p.Type)
	switch {
	case p.Name == "":
		return invalid("name", "name is required")
	case len(p.Name) > 100:
		return invalid("name", "name must be at most 100 characters")
	case p.Type == "":
		return invalid("type", "type is required")
	case !known:
		return invalid("type", "type must be one of "+strings.Join(types.Names(), ", "))
	case p.BaseURL == "" && typ.DefaultBaseURL == "":
		return invalid("base_url", "base_url is required for "+p.Type+" providers")
	}
	if !typ.APIVersion {
		p.APIVersion = ""
	}
	return nil
}

func (s *Server) createProvider(c echo.Context) error {
	f, err := readObject(c)
	if err != nil {
		return err
	}
	p := config.Provider{ID: ids.New("prov"), Enabled: true, TimeoutMS: 300_000}
	var key apiKeyChange
	if err := applyProvider(s.o.Registry, &p, f, &key); err != nil {
		return err
	}
	if err := s.uniqueProviderName(c.Request().Context(), p); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if key.value != "" {
		if err := s.o.Secrets.Set(ctx, p.SecretName(), key.value); err != nil {
			return err
		}
		p.APIKeySet = true
	}
	if err := s.o.Providers.Create(ctx, &p); err != nil {
		_ = s.o.Secrets.Delete(ctx, p.SecretName())
		return err
	}
	if err := s.changed(c, "create", "provider", p.ID, nil, p); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.providerView(p))
}

func (s *Server) uniqueProviderName(ctx context.Context, p config.Provider) error {
	all, err := s.o.Providers.List(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != p.ID && o.Name == p.Name {
			return invalid("name", "a provider named "+`"`+p.Name+`"`+" already exists")
		}
	}
	return nil
}

// editProvider applies a PATCH to a provider and stores, replaces or removes its API key;
// the audit trail notes a key change without the key.
func (s *Server) editProvider(ctx context.Context, _ config.Provider, p *config.Provider, f map[string]json.RawMessage) (func(config.Provider) any, error) {
	var key apiKeyChange
	if err := applyProvider(s.o.Registry, p, f, &key); err != nil {
		return nil, err
	}
	if err := s.uniqueProviderName(ctx, *p); err != nil {
		return nil, err
	}
	if key.set {
		if key.value == "" {
			if err := s.o.Secrets.Delete(ctx, p.SecretName()); err != nil {
				return nil, err
			}
			p.APIKeySet = false
		} else {
			if err := s.o.Secrets.Set(ctx, p.SecretName(), key.value); err != nil {
				return nil, err
			}
			p.APIKeySet = true
		}
	}
	return func(p config.Provider) any { return redactKeyChange(p, key) }, nil
}

// redactKeyChange notes in the audit trail that a key was replaced, without the key.
func redactKeyChange(p config.Provider, key apiKeyChange) any {
	if !key.set {
		return p
	}
	return struct {
		config.Provider
		APIKey string `json:"api_key"`
	}{p, "[redacted]"}
}

// providerRemoved drops a deleted provider's API key from the secrets store.
func (s *Server) providerRemoved(ctx context.Context, before config.Provider) {
	if err := s.o.Secrets.Delete(ctx, before.SecretName()); err != nil {
		s.log.Warn("provider deleted but its secret could not be removed", "provider_id", before.ID, "err", err)
	}
}

// testResult is the outcome of a provider connection test; a failed one says why.
type testResult struct {
	OK        bool     `json:"ok"`
	Message   string   `json:"message"`
	LatencyMS float64  `json:"latency_ms"`
	Models    []string `json:"models"`
	*diagnosis
	// Health is the provider's health once the result is recorded (up or down).
	Health string `json:"health"`
}

// testProvider makes a real round trip: list the provider's models.
func (s *Server) testProvider(c echo.Context) error {
	id := c.Param("id")
	if _, err := s.o.Providers.Get(c.Request().Context(), id); err != nil {
		return storeErr(err, "provider")
	}
	rp := s.o.Config.Load().Providers[id]
	if rp == nil {
		return notFound("provider")
	}
	res := testResult{Models: []string{}}
	if rp.Err != nil {
		res.Message = rp.Err.Error()
		res.diagnosis = &diagnosis{Cause: rp.Err.Error()}
		s.recordTest(id, rp.Err)
		res.Health = s.providerStatus(id)
		return c.JSON(http.StatusOK, res)
	}
	lister, ok := rp.Adapter.(providers.ModelLister)
	if !ok {
		res.Message = "this provider type cannot be tested by listing models"
		return c.JSON(http.StatusOK, res)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), min(rp.Timeout, 30*time.Second))
	defer cancel()
	start := time.Now()
	models, err := lister.ListModels(ctx)
	res.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	unlisted := errors.Is(err, providers.ErrNoModelList)
	if unlisted {
		err = nil // it answered: reachable, with no list to offer
	}
	s.recordTest(id, err)
	res.Health = s.providerStatus(id)
	if err != nil {
		res.Message = errorMessage(err)
		d := diagnose(err)
		res.diagnosis = &d
		return c.JSON(http.StatusOK, res)
	}
	res.OK = true
	res.Models = append(res.Models, models...)
	res.Message = "connected: " + plural(len(models), "model") + " available"
	if unlisted {
		res.Message = "connected: " + providers.ErrNoModelList.Error() + "; name its models by hand"
	}
	return c.JSON(http.StatusOK, res)
}

// recordTest marks the provider and its deployments up or down at once, as a background
// health check would.
func (s *Server) recordTest(id string, err error) {
	s.o.Router.Tested(id, err)
	snap := s.o.Config.Load()
	for _, a := range snap.Aliases {
		for _, d := range a.Deployments {
			if d.ProviderID == id {
				s.o.Router.Checked(d, snap.Router, err)
			}
		}
	}
}

// plural is "1 model", "2 models".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}

// providerType is a provider type as GET /admin/provider-types shows it: everything the UI
// needs to offer and check the type, so the UI lists none by itself.
type providerType struct {
	Type              string   `json:"type"`
	Label             string   `json:"label"`
	DefaultBaseURL    string   `json:"default_base_url"`
	BaseURLHint       string   `json:"base_url_hint"`
	RequiresBaseURL   bool     `json:"requires_base_url"`
	APIVersion        bool     `json:"api_version"`
	DefaultAPIVersion string   `json:"default_api_version"`
	APIKeyOptional    bool     `json:"api_key_optional"`
	Capabilities      []string `json:"capabilities"`
	Supported         bool     `json:"supported"` // always true: every listed type has an adapter
}

func (s *Server) providerTypes(c echo.Context) error {
	types := s.o.Registry.Types()
	out := make([]providerType, len(types))
	for i, t := range types {
		out[i] = providerType{Type: t.Name, Label: t.Label, DefaultBaseURL: t.DefaultBaseURL, BaseURLHint: t.BaseURLHint,
			RequiresBaseURL: t.DefaultBaseURL == "", APIVersion: t.APIVersion, DefaultAPIVersion: t.DefaultAPIVersion,
			APIKeyOptional: t.KeyOptional, Capabilities: t.Capabilities, Supported: true}
	}
	return c.JSON(http.StatusOK, list(out))
}
