//go:build !headless

package app

import (
	_ "embed"
	"log/slog"

	"github.com/gen2brain/beeep"
)

//go:embed icon.png
var icon []byte

// notifier shows desktop notifications with beeep. Failures (no notification daemon) are
// reported to the caller, which logs them once.
type notifier struct{ log *slog.Logger }

func newNotifier(log *slog.Logger) *notifier { return &notifier{log: log} }

func (n *notifier) Notify(title, body string) error { return beeep.Notify(title, body, icon) }
