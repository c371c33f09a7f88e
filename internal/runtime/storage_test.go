package runtime

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/notify"
)

func TestStorageWatch(t *testing.T) {
	bus := notify.NewBus(notify.BusOptions{})
	defer bus.Close()
	_, events, cancel := bus.Subscribe(0)
	defer cancel()
	svc := notify.NewService(notify.Options{Bus: bus})
	w := &storageWatch{}
	w.flushed(5, time.Millisecond, nil) // fine: nothing to say
	w.notes.Store(svc)
	full := errors.New("database or disk is full")
	w.flushed(10, time.Millisecond, full)
	w.flushed(7, time.Millisecond, full) // still failing: no second notification
	w.flushed(3, time.Millisecond, nil)  // recovered
	w.flushed(3, time.Millisecond, nil)
	var notes []notify.Notification
	deadline := time.After(5 * time.Second)
	for len(notes) < 2 {
		select {
		case ev := <-events:
			var n notify.Notification
			if ev.Kind == notify.KindNotification && json.Unmarshal(ev.Data, &n) == nil {
				notes = append(notes, n)
			}
		case <-deadline:
			t.Fatalf("got %d notifications, want 2", len(notes))
		}
	}
	if notes[0].Type != notify.TypeSystem || !strings.Contains(notes[0].Body, "disk is full") {
		t.Errorf("failure notification: %+v", notes[0])
	}
	if notes[1].Type != notify.TypeSystem || !strings.Contains(notes[1].Body, "17 request log rows") {
		t.Errorf("recovery notification: %+v", notes[1])
	}
}
