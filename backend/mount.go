package backend

import (
	"io/fs"
	"net/http"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// Web is what the HTTP face needs beyond what the composition root built.
type Web struct {
	UI fs.FS // the built web UI; nil or empty serves a hint page
	// OnSettings, if set, is told of every settings change (the desktop app toggles autostart).
	OnSettings func(config.Settings)
}

// Face builds the HTTP face over a built runtime; it is a runtime.Face.
func (w Web) Face(rt *runtime.Runtime) http.Handler { return Mount(rt, w).Handler() }

// Mount builds the Server over what the composition root built.
func Mount(rt *runtime.Runtime, w Web) *Server {
	s := New(Options{
		Gateway: rt.Gateway, Providers: rt.DB, Deployments: rt.DB, Keys: rt.DB, Costs: rt.DB, Settings: rt.DB,
		Logs: rt.DB, Notifications: rt.DB, Audit: rt.DB, Database: rt.DB, Secrets: rt.Secrets, Config: rt.AdminConfig(), Router: rt.Router,
		Registry: rt.Registry, Metrics: rt.Metrics, Spend: rt.Limits, DefaultPrices: rt.DefaultPrices,
		MasterKey: rt.MasterKey, Mode: rt.Options.Mode, Version: rt.Options.Version, Logger: rt.Options.Logger,
		UI: w.UI, OnSettings: w.OnSettings, Bus: rt.Bus, Notify: rt.Notify,
		Admission: rt.Admission, Shedder: rt.Pressure, Conversations: rt.Conversations,
	})
	if rt.SharedLimits != nil {
		s.o.SharedLimits = rt.SharedLimits
	}
	if rt.ListenURL != "" {
		s.SetListenURL(rt.ListenURL)
	}
	return s
}
