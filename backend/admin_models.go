package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/router"
)

var aliasPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$`)

// deploymentView is a model row with its live health and whether a price row matches its
// provider model (without one its requests are charged nothing).
type deploymentView struct {
	config.Deployment
	Health router.Health `json:"health"`
	Priced bool          `json:"priced"`
}

func (s *Server) deploymentView(d config.Deployment) deploymentView {
	return deploymentView{Deployment: d, Health: s.o.Router.Health(d.ID), Priced: s.priced(d.ProviderModel)}
}

func applyDeployment(d *config.Deployment, f map[string]json.RawMessage) error {
	err := applyFields(f, map[string]fieldReader{
		"alias":                  strField(&d.Alias),
		"provider_id":            strField(&d.ProviderID),
		"provider_model":         strField(&d.ProviderModel),
		"weight":                 intField(&d.Weight, 1, 1_000_000),
		"priority":               intField(&d.Priority, 0, 1_000_000),
		"supports_vision":        boolField(&d.SupportsVision),
		"supports_tools":         boolField(&d.SupportsTools),
		"supports_streaming":     boolField(&d.SupportsStreaming),
		"supports_embeddings":    boolField(&d.SupportsEmbeddings),
		"context_window":         intField(&d.ContextWindow, 0, 100_000_000),
		"supports_prefill":       boolField(&d.SupportsPrefill),
		"first_token_timeout_ms": optIntField(&d.FirstTokenTimeoutMS, 0, 3_600_000),
		"stream_idle_timeout_ms": optIntField(&d.StreamIdleTimeoutMS, 0, 3_600_000),
		"cache_ttl_s":            optIntField(&d.CacheTTLS, 1, gateway.MaxCacheTTLS),
		"cache_shared":           boolField(&d.CacheShared),
		"cache_nondeterministic": boolField(&d.CacheNondeterministic),
		"enabled":                boolField(&d.Enabled),
	}, "id", "created_at", "updated_at", "health", "priced")
	if err != nil {
		return err
	}
	switch {
	case d.Alias == "":
		return invalid("alias", "alias is required")
	case !aliasPattern.MatchString(d.Alias):
		return invalid("alias", "alias may use letters, digits and . _ : / @ + - (at most 128 characters)")
	case d.ProviderID == "":
		return invalid("provider_id", "provider_id is required")
	case d.ProviderModel == "":
		return invalid("provider_model", "provider_model is required")
	}
	return nil
}

func (s *Server) createDeployment(c echo.Context) error {
	f, err := readObject(c)
	if err != nil {
		return err
	}
	d := config.Deployment{ID: ids.New("dep"), Weight: 1, SupportsStreaming: true, Enabled: true}
	if err := applyDeployment(&d, f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.o.Providers.Get(ctx, d.ProviderID); err != nil {
		if storeErr(err, "") != err {
			return invalid("provider_id", "no provider has the id "+`"`+d.ProviderID+`"`)
		}
		return err
	}
	if err := s.o.Deployments.Create(ctx, &d); err != nil {
		return err
	}
	if err := s.changed(c, "create", "model", d.ID, nil, d); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.deploymentView(d))
}

// editDeployment applies a PATCH to a model; a new provider_id must name a provider.
func (s *Server) editDeployment(ctx context.Context, before config.Deployment, d *config.Deployment, f map[string]json.RawMessage) (func(config.Deployment) any, error) {
	if err := applyDeployment(d, f); err != nil {
		return nil, err
	}
	if d.ProviderID != before.ProviderID {
		if _, err := s.o.Providers.Get(ctx, d.ProviderID); err != nil {
			return nil, invalid("provider_id", "no provider has the id "+`"`+d.ProviderID+`"`)
		}
	}
	return nil, nil
}

// providerStatus aggregates its deployments' health: down if any is down, up if any is up.
func (s *Server) providerStatus(id string) string {
	status := "unknown"
	for _, a := range s.o.Config.Load().Aliases {
		for _, d := range a.Deployments {
			if d.ProviderID != id {
				continue
			}
			switch s.o.Router.Health(d.ID).Status {
			case "down":
				return "down"
			case "up":
				status = "up"
			}
		}
	}
	if status == "unknown" { // no deployment has a state yet: the latest connection test's
		status = s.o.Router.TestedHealth(id).Status
	}
	return status
}

func errorMessage(err error) string { return llm.AsError(err).Message }
