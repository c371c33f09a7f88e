//go:build !headless

package app

import (
	"log/slog"
	"os"

	"github.com/emersion/go-autostart"
)

// autostart keeps the "start at login" entry in line with the autostart setting.
type autostartEntry struct {
	app *autostart.App
	log *slog.Logger
}

func newAutostart(log *slog.Logger) *autostartEntry {
	exe, err := os.Executable()
	if err != nil {
		exe = "conduit"
	}
	return &autostartEntry{log: log, app: &autostart.App{
		Name: "conduit", DisplayName: "Conduit", Exec: []string{exe, "--start-hidden"},
	}}
}

// apply enables or disables start at login; it does nothing when the entry already agrees.
func (a *autostartEntry) apply(on bool) {
	if a.app.IsEnabled() == on {
		return
	}
	var err error
	if on {
		err = a.app.Enable()
	} else {
		err = a.app.Disable()
	}
	if err != nil {
		a.log.Warn("could not change start at login", "enable", on, "err", err)
		return
	}
	a.log.Info("start at login changed", "enabled", on)
}
