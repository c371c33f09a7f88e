package fanout

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/conduit-gw/conduit/internal/testsvc"
)

func TestMain(m *testing.M) { os.Exit(testsvc.Main(m)) }

// collect runs f's subscriber in the background and returns its messages.
func collect(t *testing.T, f Fanout) <-chan Message {
	t.Helper()
	ch := make(chan Message, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx, func(m Message) { ch <- m }) }()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

func next(t *testing.T, ch <-chan Message, what string) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("no message: want %s", what)
	}
	return Message{}
}

// exercise: b hears a's messages (not its own), in order, with their data; a subscriber
// starts with a Resync.
func exercise(t *testing.T, a, b Fanout) {
	ctx := t.Context()
	got := collect(t, b)
	if m := next(t, got, "resync"); m.Topic != Resync {
		t.Fatalf("first message %+v, want a resync", m)
	}
	if err := b.Publish(ctx, "config", nil); err != nil { // its own: not delivered
		t.Fatal(err)
	}
	for i := range 3 {
		if err := a.Publish(ctx, "config", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		m := next(t, got, "config")
		var d struct{ N int }
		if err := json.Unmarshal(m.Data, &d); err != nil || m.Topic != "config" || d.N != i {
			t.Fatalf("message %d: %+v (%v)", i, m, err)
		}
	}
	select {
	case m := <-got:
		t.Fatalf("unexpected message %+v", m)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestRedis(t *testing.T) {
	srv := testsvc.StartRedis(t)
	client := func() *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	a := NewRedis(client(), "c:", "a", nil)
	b := NewRedis(client(), "c:", "b", nil)
	exercise(t, a, b)

	// A restarted Redis: the subscriber comes back with a Resync and hears messages again.
	got := collect(t, NewRedis(client(), "c:", "c", nil))
	next(t, got, "resync")
	srv.Stop()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if m := next(t, got, "resync after restart"); m.Topic != Resync {
		t.Fatalf("after restart: %+v, want a resync", m)
	}
	if err := a.Publish(t.Context(), "config", nil); err != nil {
		t.Fatal(err)
	}
	if m := next(t, got, "config after restart"); m.Topic != "config" || m.From != "a" {
		t.Fatalf("after restart: %+v", m)
	}
}

func TestPostgres(t *testing.T) {
	dsn := testsvc.Postgres(t)
	exercise(t, NewPostgres(dsn, "a", nil), NewPostgres(dsn, "b", nil))
}
