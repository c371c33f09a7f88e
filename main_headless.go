//go:build headless

package main

import (
	"context"

	"github.com/conduit-gw/conduit/backend"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// The server build has no window: it is always headless.
const defaultHeadless = true

func runDesktop(ctx context.Context, o runtime.Options, web backend.Web, _ bool) error {
	return runtime.Serve(ctx, o, web.Face)
}
