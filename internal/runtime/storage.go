package runtime

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conduit-gw/conduit/internal/notify"
)

// storageWatch raises a system notification when request log rows cannot be written (a full
// disk, a read-only or broken database) and another when writing works again, saying how many
// rows were lost in between. Requests keep being served meanwhile; the usage writer counts
// the rows it could not store (conduit_usage_failed_total).
type storageWatch struct {
	notes atomic.Pointer[notify.Service] // set once the service exists

	mu      sync.Mutex
	failing bool
	lost    int
	since   time.Time
}

// flushed is the usage writer's OnFlush.
func (w *storageWatch) flushed(n int, _ time.Duration, err error) {
	w.mu.Lock()
	var note *notify.Notification
	switch {
	case err != nil && !w.failing:
		w.failing, w.lost, w.since = true, n, time.Now()
		note = &notify.Notification{Type: notify.TypeSystem, Severity: notify.SeverityCritical,
			Title: "Request logs cannot be written",
			Body: fmt.Sprintf("Storing %d request log rows failed: %v. Requests are still served; their usage rows are lost "+
				"until the database can be written again (is the disk full?).", n, err)}
	case err != nil:
		w.lost += n
	case w.failing:
		note = &notify.Notification{Type: notify.TypeSystem, Severity: notify.SeverityWarning,
			Title: "Request logs are written again",
			Body: fmt.Sprintf("The database accepts writes again. %d request log rows could not be written since %s.",
				w.lost, w.since.UTC().Format(time.RFC3339))}
		w.failing, w.lost = false, 0
	}
	w.mu.Unlock()
	if note != nil {
		if s := w.notes.Load(); s != nil {
			s.Notify(*note)
		}
	}
}
