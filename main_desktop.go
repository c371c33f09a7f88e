//go:build !headless

package main

import (
	"context"

	"github.com/conduit-gw/conduit/app"
	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// The desktop build opens a window unless --headless is given.
const defaultHeadless = false

func runDesktop(ctx context.Context, o runtime.Options, web backend.Web, startHidden bool) error {
	return app.Run(ctx, o, web, app.Options{StartHidden: startHidden})
}
