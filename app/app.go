//go:build !headless && !bindings

// Package app is the desktop shell around the in-process gateway: the Wails window with the
// admin UI, the application menu, single-instance handling, desktop notifications (beeep),
// start at login (go-autostart) and the OS keychain (the secrets backend's "auto" mode).
package app

import (
	"context"
	"log/slog"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// Options are the desktop app's own settings.
type Options struct {
	// StartHidden starts with the window hidden (used when started at login).
	StartHidden bool
}

// Run claims the single instance, starts the gateway on o.Addr, opens the window, and returns
// after Quit (menu) or when ctx ends, having stopped the gateway cleanly. Closing the window
// only hides it. When another instance runs, Run asks it to show its window and returns nil
// before starting anything.
func Run(ctx context.Context, o runtime.Options, web backend.Web, ao Options) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	inst, first, err := claimInstance(log)
	if err != nil {
		return err
	}
	if !first {
		log.Info("Conduit is already running: its window was asked to show")
		return nil
	}
	defer inst.Close()
	o.Mode = "desktop"
	o.Desktop = newNotifier(log)
	start := newAutostart(log)
	web.OnSettings = func(s config.Settings) { start.apply(s.Autostart) }
	srv, err := runtime.Start(ctx, o, web.Face)
	if err != nil {
		return err
	}
	if s, err := srv.Runtime.DB.GetSettings(ctx); err == nil {
		start.apply(s.Autostart)
	}
	werr := runWindow(ctx, srv, web, ao, inst.Shown(), log)
	if err := srv.Stop(); err != nil {
		return err
	}
	return werr
}
