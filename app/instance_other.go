//go:build !linux && !headless

package app

import "log/slog"

// instance is nil outside Linux: Wails' own single-instance lock (options.SingleInstanceLock)
// shows the running window there.
type instance struct{}

func claimInstance(*slog.Logger) (*instance, bool, error) { return nil, true, nil }

// Shown never delivers.
func (*instance) Shown() <-chan struct{} { return nil }

// Close does nothing.
func (*instance) Close() error { return nil }
