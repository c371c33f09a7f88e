package admission

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
)

// window admits and releases one window of requests, each taking lat on the fake clock.
func window(t *testing.T, d *Door, clock *fakeclock.Clock, lat time.Duration) {
	t.Helper()
	for range doorWindow {
		entered, ok := d.Admit(context.Background())
		if !ok {
			t.Fatal("refused with nothing inside")
		}
		clock.Advance(lat)
		d.Leave(entered)
	}
}

func TestDoorLimitFollowsLatency(t *testing.T) {
	clock := fakeclock.New(time.Unix(0, 0))
	var over atomic.Bool
	d := NewDoor(over.Load, clock.Now, time.Hour)
	steps := []struct {
		over bool
		lat  time.Duration
		want int64 // limit after the window
	}{
		{false, time.Millisecond, doorMinLimit}, // calm: the limit follows what is inside (nothing)
		{true, time.Millisecond, doorMinLimit + doorStep},
		{true, time.Millisecond, doorMinLimit + 2*doorStep},
		{true, 3 * time.Millisecond, (doorMinLimit + 2*doorStep) * 9 / 10}, // latency tripled: shrink
		{true, 3 * time.Millisecond, (doorMinLimit + 2*doorStep) * 9 / 10 * 9 / 10},
		{true, 3 * time.Millisecond, 10},
		{true, 3 * time.Millisecond, 9},
		{true, 3 * time.Millisecond, doorMinLimit},
		{true, 3 * time.Millisecond, doorMinLimit}, // never under the floor
		{true, 1500 * time.Microsecond, doorMinLimit + doorStep},
	}
	for i, s := range steps {
		over.Store(s.over)
		window(t, d, clock, s.lat)
		if got := d.Limit(); got != s.want {
			t.Fatalf("step %d: limit %d, want %d", i, got, s.want)
		}
	}
	if d.Refused() != 0 {
		t.Fatalf("refused %d", d.Refused())
	}
}

func TestDoorCalmAdmitsEverything(t *testing.T) {
	clock := fakeclock.New(time.Unix(0, 0))
	d := NewDoor(func() bool { return false }, clock.Now, 0)
	window(t, d, clock, time.Millisecond) // limit down to the floor
	for i := range 10 * doorMinLimit {
		if _, ok := d.Admit(context.Background()); !ok {
			t.Fatalf("request %d refused while calm", i)
		}
	}
}

// full returns an overloaded door with its limit at the floor and that many requests inside,
// and their releases.
func full(t *testing.T, maxWait time.Duration) (*Door, []func()) {
	t.Helper()
	clock := fakeclock.New(time.Unix(0, 0))
	var over atomic.Bool
	d := NewDoor(over.Load, clock.Now, maxWait)
	window(t, d, clock, time.Millisecond)
	defer over.Store(true)
	var inside []func()
	for range doorMinLimit {
		entered, ok := d.Admit(context.Background())
		if !ok {
			t.Fatal("refused under the limit")
		}
		inside = append(inside, func() { d.Leave(entered) })
	}
	return d, inside
}

func (d *Door) waiting() int {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	return len(d.waiters)
}

func TestDoorLetsTheNewestWaiterInFirst(t *testing.T) {
	d, inside := full(t, time.Hour)
	admitted := make(chan string, 2)
	for i, name := range []string{"older", "newer"} {
		go func() {
			if _, ok := d.Admit(context.Background()); ok {
				admitted <- name
			}
		}()
		for d.waiting() != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	inside[0]()
	if got := <-admitted; got != "newer" {
		t.Fatalf("first in: %s", got)
	}
	inside[1]()
	if got := <-admitted; got != "older" {
		t.Fatalf("second in: %s", got)
	}
	if n := d.inflight.Load(); n != doorMinLimit {
		t.Fatalf("inside %d, want %d", n, doorMinLimit)
	}
}

func TestDoorRefusesWhenTheWaitRunsOut(t *testing.T) {
	d, inside := full(t, time.Nanosecond)
	if _, ok := d.Admit(context.Background()); ok {
		t.Fatal("admitted over the limit with nobody leaving")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.maxWait = time.Hour
	if _, ok := d.Admit(ctx); ok {
		t.Fatal("admitted a canceled request over the limit")
	}
	if d.Refused() != 2 || d.waiting() != 0 {
		t.Fatalf("refused %d, waiting %d", d.Refused(), d.waiting())
	}
	for _, release := range inside {
		release()
	}
	if _, ok := d.Admit(context.Background()); !ok || d.inflight.Load() != 1 {
		t.Fatalf("after all left: ok=%v inside %d", ok, d.inflight.Load())
	}
}
