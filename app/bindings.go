//go:build bindings && !headless

package app

import (
	"context"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// Options are the desktop app's own settings.
type Options struct {
	StartHidden bool
}

// Run in the binary `wails build` compiles to generate the JavaScript bindings: Wails writes
// them and exits inside wails.Run, so neither the gateway nor a window is started.
func Run(context.Context, runtime.Options, backend.Web, Options) error {
	return wails.Run(&options.App{Title: "Conduit"})
}
