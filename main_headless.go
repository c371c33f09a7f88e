//go:build headless

package main

import (
	"context"

	"github.com/conduit-gw/conduit/backend"
)

// The server build has no window: it is always headless.
const defaultHeadless = true

func runDesktop(ctx context.Context, o backend.ServeOptions, _ bool) error {
	return backend.Serve(ctx, o)
}
