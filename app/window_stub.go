//go:build !headless && !desktop && !dev && !bindings

package app

import (
	"context"
	"log/slog"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// runWindow without the desktop build tags: there is no window to open, so the gateway and
// web UI are served until ctx ends. Build with `make desktop` for the window.
func runWindow(ctx context.Context, srv *runtime.Running, _ backend.Web, _ Options, _ <-chan struct{}, log *slog.Logger) error {
	log.Warn("this build has no desktop window (build it with `make desktop`); open the web UI in a browser", "url", srv.URL)
	select {
	case <-ctx.Done():
		return nil
	case err := <-srv.Failed():
		return err
	}
}
