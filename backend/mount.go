package backend

import (
	"context"
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
	db := rt.DB
	var tracer Tracer // a nil *tracing.Provider is tracing off, not a Tracer
	if rt.Tracing != nil {
		tracer = rt.Tracing
	}
	s := New(Options{
		Gateway: rt.Gateway, Config: rt.AdminConfig(), Router: rt.Router, Registry: rt.Registry,
		Metrics: rt.Metrics, Spend: rt.Limits, Bus: rt.Bus, Notify: rt.Notify,
		Admission: rt.Admission, Shedder: rt.Door, Conversations: rt.Conversations,

		Providers: storeRows[config.Provider]{db.ListProviders, db.GetProvider, db.CreateProvider,
			db.UpdateProvider, db.DeleteProvider},
		Deployments: storeRows[config.Deployment]{db.ListDeployments, db.GetDeployment, db.CreateDeployment,
			db.UpdateDeployment, db.DeleteDeployment},
		Keys:     storeRows[config.Key]{db.ListKeys, db.GetKey, db.CreateKey, db.UpdateKey, db.DeleteKey},
		Costs:    storeRows[config.Cost]{db.ListCosts, db.GetCost, db.CreateCost, db.UpdateCost, db.DeleteCost},
		Settings: db, Sessions: db, Logs: db, Notifications: db, Audit: db, Database: db, Secrets: rt.Secrets,

		DefaultPrices: rt.DefaultPrices, MasterKey: rt.MasterKey, Mode: rt.Options.Mode,
		Version: rt.Options.Version, Logger: rt.Options.Logger, UI: w.UI, OnSettings: w.OnSettings,
		ListenAddr: rt.Options.Addr, AllowedHosts: rt.Options.AllowedHosts, Throttle: rt.Throttle,
		Tracing: tracer, TraceURL: rt.Options.TraceURL,
	})
	if rt.SharedLimits != nil {
		s.o.SharedLimits = rt.SharedLimits
	}
	if rt.ListenURL != "" {
		s.SetListenURL(rt.ListenURL)
	}
	return s
}

// storeRows gives one kind of row of the store as Rows.
type storeRows[T any] struct {
	list           func(ctx context.Context) ([]T, error)
	get            func(ctx context.Context, id string) (T, error)
	create, update func(ctx context.Context, row *T) error
	remove         func(ctx context.Context, id string) error
}

func (r storeRows[T]) List(ctx context.Context) ([]T, error)         { return r.list(ctx) }
func (r storeRows[T]) Get(ctx context.Context, id string) (T, error) { return r.get(ctx, id) }
func (r storeRows[T]) Create(ctx context.Context, row *T) error      { return r.create(ctx, row) }
func (r storeRows[T]) Update(ctx context.Context, row *T) error      { return r.update(ctx, row) }
func (r storeRows[T]) Delete(ctx context.Context, id string) error   { return r.remove(ctx, id) }
