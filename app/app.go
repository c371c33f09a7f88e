//go:build !headless

// Package app is the desktop shell: the Wails window, menu, notifications, autostart and
// keychain around the in-process gateway.
//
// The Wails window is not part of this build yet: Run serves the gateway and web UI and says
// where to open them.
package app

import (
	"context"

	"github.com/conduit-gw/conduit/backend"
)

// Run starts the desktop app around the gateway.
func Run(ctx context.Context, o backend.ServeOptions) error {
	log := o.Logger
	started := o.Started
	o.Started = func(url string) {
		if log != nil {
			log.Warn("the desktop window is not available in this build yet; open the web UI in a browser", "url", url)
		}
		if started != nil {
			started(url)
		}
	}
	return backend.Serve(ctx, o)
}
