//go:build linux && !headless

package app

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// The running app owns this name on the session bus; a second launch asks it to show its
// window through the Show method.
const (
	busName      = "dev.conduit.Gateway"
	busPath      = dbus.ObjectPath("/dev/conduit/Gateway")
	busInterface = "dev.conduit.Gateway"
)

// instance is the claim of the first running app: it owns the bus name and hears later
// launches asking to be shown.
type instance struct {
	conn  *dbus.Conn
	shown chan struct{}
}

// claimInstance claims the single instance before anything else starts. It returns
// first=false when another instance runs, after asking it to show its window. Without a
// session bus there is no way to find another instance: it returns a nil instance and first.
func claimInstance(log *slog.Logger) (in *instance, first bool, err error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		log.Debug("no session bus: single-instance check skipped", "err", err)
		return nil, true, nil
	}
	in = &instance{conn: conn, shown: make(chan struct{}, 1)}
	// Export before taking the name, so that no launch can call Show before it is answered.
	if err := conn.Export(showHandler{in}, busPath, busInterface); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("exporting the single-instance object: %w", err)
	}
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("claiming the single-instance name: %w", err)
	}
	if reply == dbus.RequestNameReplyPrimaryOwner || reply == dbus.RequestNameReplyAlreadyOwner {
		return in, true, nil
	}
	defer conn.Close()
	call := conn.Object(busName, busPath).Call(busInterface+".Show", 0)
	if call.Err != nil {
		return nil, false, fmt.Errorf("another Conduit is running but did not answer: %w", call.Err)
	}
	return nil, false, nil
}

// Shown delivers a value each time another launch asked for the window (nil-safe).
func (in *instance) Shown() <-chan struct{} {
	if in == nil {
		return nil
	}
	return in.shown
}

// Close gives the name back.
func (in *instance) Close() error {
	if in == nil {
		return nil
	}
	_, rerr := in.conn.ReleaseName(busName)
	return errors.Join(rerr, in.conn.Close())
}

// showHandler is the exported D-Bus object.
type showHandler struct{ in *instance }

// Show is called over D-Bus by a second launch.
func (h showHandler) Show() *dbus.Error {
	select {
	case h.in.shown <- struct{}{}:
	default: // one request is already waiting: it shows the window as well
	}
	return nil
}
