//go:build !headless

package main

import (
	"context"

	"github.com/conduit-gw/conduit/app"
	"github.com/conduit-gw/conduit/backend"
)

// The desktop build opens a window unless --headless is given.
const defaultHeadless = false

func runDesktop(ctx context.Context, o backend.ServeOptions, startHidden bool) error {
	return app.Run(ctx, o, app.Options{StartHidden: startHidden})
}
