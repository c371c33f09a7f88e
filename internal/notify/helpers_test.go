package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fakeclock"
)

// t0 is a Monday.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// memStore is an in-memory Store.
type memStore struct {
	mu      sync.Mutex
	all     []Notification
	inserts int
	delay   time.Duration
	fail    int // fail this many inserts first
}

func (m *memStore) InsertNotifications(ctx context.Context, ns []Notification) error {
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return errors.New("disk full")
	}
	m.inserts++
	m.all = append(m.all, ns...)
	return nil
}

func (m *memStore) ListNotifications(_ context.Context, limit int, unreadOnly bool) (
	[]Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Notification
	for i := len(m.all) - 1; i >= 0 && len(out) < limit; i-- {
		if !unreadOnly || !m.all[i].Read {
			out = append(out, m.all[i])
		}
	}
	return out, nil
}

func (m *memStore) stored() []Notification {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.all)
}

// logBuf collects log output safely.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), sub)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// settingsBox holds settings a test changes.
type settingsBox struct {
	mu sync.Mutex
	s  config.Settings
}

func (b *settingsBox) get() config.Settings {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

func (b *settingsBox) update(f func(*config.Settings)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.s)
}

type env struct {
	svc      *Service
	bus      *Bus
	store    *memStore
	clock    *fakeclock.Clock
	settings *settingsBox
	logs     *logBuf
}

// newEnv builds a service on a fake clock, a bus and an in-memory store; edit opts to add
// sinks. Desktop notifications are off by default.
func newEnv(t *testing.T, edit func(*Options)) *env {
	t.Helper()
	e := &env{
		clock:    fakeclock.New(t0),
		store:    &memStore{},
		settings: &settingsBox{s: config.DefaultSettings()},
		logs:     &logBuf{},
	}
	e.settings.s.NotifyDesktop = false
	e.bus = NewBus(BusOptions{History: 5000, Now: e.clock.Now})
	opts := Options{
		Bus:      e.bus,
		Store:    e.store,
		Settings: e.settings.get,
		Logger:   slog.New(slog.NewTextHandler(e.logs, nil)),
		Now:      e.clock.Now,
		Sleep:    func(context.Context, time.Duration) error { return nil },
	}
	if edit != nil {
		edit(&opts)
	}
	e.svc = NewService(opts)
	t.Cleanup(func() { _ = e.svc.Close(context.Background()) })
	return e
}

// published returns the notifications published on the bus so far, oldest first.
func (e *env) published(t *testing.T) []Notification {
	t.Helper()
	return eventsOf[Notification](t, e.bus, KindNotification)
}

func eventsOf[T any](t *testing.T, b *Bus, kind string) []T {
	t.Helper()
	evs, _, cancel := b.Subscribe(0)
	cancel()
	var out []T
	for _, ev := range evs {
		if ev.Kind != kind {
			continue
		}
		var v T
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			t.Fatalf("event %d: %v", ev.ID, err)
		}
		out = append(out, v)
	}
	return out
}

func (e *env) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.svc.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func titles(ns []Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Severity + " " + n.Title
	}
	return out
}
