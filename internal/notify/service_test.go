package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

func TestNotifyFillsPublishesAndStores(t *testing.T) {
	e := newEnv(t, nil)
	n := e.svc.Notify(Notification{Type: TypeSystem, Title: "hello", Body: "world"})
	if !strings.HasPrefix(n.ID, "ntf_") || !n.Time.Equal(t0) || n.Severity != SeverityInfo {
		t.Fatalf("filled = %+v", n)
	}
	at := time.Date(2026, 1, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600))
	n2 := e.svc.Notify(Notification{ID: "ntf_given", Time: at, Type: TypeSystem,
		Severity: SeverityWarning, Title: "t"})
	if n2.ID != "ntf_given" || n2.Time.Location() != time.UTC ||
		!n2.Time.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("kept = %+v", n2)
	}
	pub := e.published(t)
	if len(pub) != 2 || pub[0] != n || pub[1] != n2 {
		t.Fatalf("published = %+v", pub)
	}
	e.close(t)
	st := e.store.stored()
	if len(st) != 2 || st[0] != n || st[1] != n2 {
		t.Fatalf("stored = %+v", st)
	}
}

func TestCloseFlushesEverythingToTheStore(t *testing.T) {
	e := newEnv(t, nil)
	e.store.delay = 5 * time.Millisecond
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := range 100 {
				e.svc.Notify(Notification{Type: TypeSystem, Title: fmt.Sprintf("%d/%d", g, i)})
			}
		})
	}
	wg.Wait()
	e.close(t)
	st := e.store.stored()
	if len(st) != 1000 {
		t.Fatalf("stored %d of 1000", len(st))
	}
	seen := map[string]bool{}
	for _, n := range st {
		seen[n.ID] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("%d distinct ids", len(seen))
	}
	if e.store.inserts >= 1000/2 {
		t.Fatalf("%d inserts for 1000 notifications: not batched", e.store.inserts)
	}
	// After Close nothing is accepted, and saying so is logged.
	e.svc.Notify(Notification{Title: "late"})
	if len(e.store.stored()) != 1000 || e.logs.count("after Close") != 1 {
		t.Fatalf("late notification: stored %d, log %q", len(e.store.stored()), e.logs)
	}
	if err := e.svc.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestStoreRetriesThenLogs(t *testing.T) {
	e := newEnv(t, nil)
	e.store.fail = 2
	e.svc.Notify(Notification{Title: "kept"})
	e.close(t)
	if len(e.store.stored()) != 1 {
		t.Fatalf("stored %d after 2 failures", len(e.store.stored()))
	}

	e = newEnv(t, nil)
	e.store.fail = 100
	e.svc.Notify(Notification{Title: "lost"})
	e.close(t)
	if e.logs.count("notifications not stored") != 1 {
		t.Fatalf("log = %q", e.logs)
	}
}

func TestCloseGivesUpAtDeadline(t *testing.T) {
	e := newEnv(t, nil)
	e.store.delay = time.Hour
	e.svc.Notify(Notification{Title: "stuck"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := e.svc.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

type fakeDesktop struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (d *fakeDesktop) Notify(title, body string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, title+"|"+body)
	return d.err
}

func (d *fakeDesktop) setErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

func (d *fakeDesktop) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.calls)
}

func TestDesktop(t *testing.T) {
	desk := &fakeDesktop{err: errors.New("no notification daemon")}
	e := newEnv(t, func(o *Options) { o.Desktop = desk })
	e.svc.Notify(Notification{Title: "off"}) // notify_desktop is off
	e.settings.update(func(s *config.Settings) { s.NotifyDesktop = true })
	for i := range 5 {
		e.svc.Notify(Notification{Title: fmt.Sprint("t", i), Body: "b"})
	}
	waitFor(t, func() bool { return desk.count() == 5 })
	desk.setErr(nil)
	e.svc.Notify(Notification{Title: "works again"})
	waitFor(t, func() bool { return desk.count() == 6 })
	desk.setErr(errors.New("broken again"))
	e.svc.Notify(Notification{Title: "fails again"})
	e.close(t)
	if desk.count() != 7 || desk.calls[0] != "t0|b" {
		t.Fatalf("desktop calls = %q", desk.calls)
	}
	// Once per failure streak, not per notification.
	if n := e.logs.count("desktop notification failed"); n != 2 {
		t.Fatalf("desktop failure logged %d times, want 2 (one per streak): %s", n, e.logs)
	}
	if e.logs.count("no notification daemon") != 1 {
		t.Fatalf("log = %s", e.logs)
	}
}

// blockingDesktop never returns until released: Close must not wait for it past its ctx.
type blockingDesktop struct {
	release chan struct{}
	calls   atomic.Int32
}

func (d *blockingDesktop) Notify(string, string) error {
	d.calls.Add(1)
	<-d.release
	return nil
}

func TestSlowDesktopNeverDelaysNotify(t *testing.T) {
	desk := &blockingDesktop{release: make(chan struct{})}
	defer close(desk.release)
	e := newEnv(t, func(o *Options) { o.Desktop = desk })
	e.settings.update(func(s *config.Settings) { s.NotifyDesktop = true })
	start := time.Now()
	for i := range 200 {
		e.svc.Notify(Notification{Title: fmt.Sprint(i)})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("200 Notify took %v", d)
	}
	if e.logs.count("desktop queue full") == 0 {
		t.Fatal("no drop logged")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.svc.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v", err)
	}
	if len(e.store.stored()) != 200 {
		t.Fatalf("stored %d", len(e.store.stored()))
	}
}

func TestRestoreAndFirstStart(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.FirstStart("  The master key (ck-abc…) is in the OS keychain.  ")
	e.svc.FirstStart("again")
	pub := e.published(t)
	if len(pub) != 1 || pub[0].Type != TypeSystem || pub[0].Title != "Conduit is running" ||
		pub[0].Body != "Conduit started for the first time. The master key (ck-abc…) is in "+
			"the OS keychain." {
		t.Fatalf("first start = %+v", pub)
	}
	e.close(t)

	// A restarted service over the same store does not raise it again.
	e2 := newEnv(t, func(o *Options) { o.Store = e.store })
	e2.store = e.store
	if err := e2.svc.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	e2.svc.FirstStart("hint")
	if pub := e2.published(t); len(pub) != 0 {
		t.Fatalf("after restart: %+v", pub)
	}
}

type failingList struct{ memStore }

func (*failingList) ListNotifications(context.Context, int, bool) ([]Notification, error) {
	return nil, errors.New("db gone")
}

func TestRestoreError(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Store = &failingList{} })
	if err := e.svc.Restore(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "db gone") {
		t.Fatalf("Restore = %v", err)
	}
	headless := NewService(Options{}) // everything optional
	defer headless.Close(context.Background())
	if err := headless.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	headless.Notify(Notification{Title: "nowhere to go"})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
