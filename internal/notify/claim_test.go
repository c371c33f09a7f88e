package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conduit-gw/conduit/internal/config"
)

// TestClaimDeliversOnce: two instances raising the same condition deliver it once (the
// claim's winner); a notification without a Dedupe key is delivered by each; a failing claim
// delivers rather than lose the notification.
func TestClaimDeliversOnce(t *testing.T) {
	var hooks atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hooks.Add(1)
	}))
	defer hook.Close()
	var (
		mu      sync.Mutex
		claimed = map[string]bool{}
		broken  atomic.Bool
	)
	claim := func(_ context.Context, n Notification) (bool, error) {
		if broken.Load() {
			return false, errors.New("database down")
		}
		mu.Lock()
		defer mu.Unlock()
		if claimed[n.Dedupe] {
			return false, nil
		}
		claimed[n.Dedupe] = true
		return true, nil
	}
	settings := func() config.Settings {
		s := config.DefaultSettings()
		s.NotifyWebhookURL = hook.URL
		return s
	}
	var svcs []*Service
	for range 2 {
		svcs = append(svcs, NewService(Options{Settings: settings, Claim: claim}))
	}
	for _, s := range svcs {
		s.Notify(Notification{Type: TypeBudget, Title: "50%", Dedupe: "budget:k:p:1:50"})
		s.Notify(Notification{Type: TypeSystem, Title: "no condition"})
	}
	broken.Store(true)
	svcs[0].Notify(Notification{Type: TypeBudget, Title: "80%", Dedupe: "budget:k:p:1:80"})
	for _, s := range svcs {
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := hooks.Load(); got != 4 {
		t.Fatalf("%d webhook deliveries, want 4: the claimed one once, the plain one twice, the unclaimable one once", got)
	}
}

// TestBusRelay: events published here are relayed after their subscribers got them; events
// delivered from another instance reach the subscribers and are not relayed back.
func TestBusRelay(t *testing.T) {
	var relayed []string
	b := NewBus(BusOptions{Relay: func(kind string, data json.RawMessage) {
		relayed = append(relayed, kind+" "+string(data))
	}})
	_, ch, cancel := b.Subscribe(b.LastID())
	defer cancel()
	b.Publish(KindKeySpend, map[string]int{"n": 1})
	b.Deliver(KindNotification, json.RawMessage(`{"id":"ntf_x"}`))
	b.Deliver(KindNotification, json.RawMessage(`not json`))
	for _, want := range []string{KindKeySpend, KindNotification} {
		if ev := <-ch; ev.Kind != want {
			t.Fatalf("event %s, want %s", ev.Kind, want)
		}
	}
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
	if len(relayed) != 1 || relayed[0] != `key_spend {"n":1}` {
		t.Fatalf("relayed %q, want only the local key_spend event", relayed)
	}
}
