package admission

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
)

// testMin is the test doors' lowest limit.
const testMin = 8

// testDoor is a door on a fake clock whose overload and CPU queueing delay the test sets.
type testDoor struct {
	*Door
	clock *fakeclock.Clock
	over  *atomic.Bool
	queue *atomic.Int64 // ns
}

func newTestDoor(admitWait, holdWait time.Duration) testDoor {
	clock := fakeclock.New(time.Unix(0, 0))
	var over atomic.Bool
	var queue atomic.Int64
	d := testDoor{NewDoor(DoorOptions{Overloaded: over.Load, Now: clock.Now, AdmitWait: admitWait, HoldWait: holdWait,
		Latency: func() time.Duration { return time.Duration(queue.Load()) }, Target: 4 * time.Millisecond,
		MinLimit: testMin}), clock, &over, &queue}
	d.Admit(context.Background())
	d.Leave() // the first window begins
	return d
}

// window lets one request through that ends a window.
func (d testDoor) window(t *testing.T) {
	t.Helper()
	if !d.Admit(context.Background()) {
		t.Fatal("refused under the limit")
	}
	d.clock.Advance(doorWindowTime)
	d.Leave()
}

func TestDoorLimitFollowsTheCPUQueue(t *testing.T) {
	d := newTestDoor(time.Hour, time.Hour)
	steps := []struct {
		over  bool
		queue time.Duration // the CPU queueing delay; the target is 4 ms
		want  int64         // limit after the window
	}{
		{false, 0, testMin},                    // open: the limit follows what is inside (one request)
		{true, time.Millisecond, testMin + 1},  // armed, under half the target: up a sixteenth (at least 1)
		{true, time.Millisecond, testMin + 2},  //
		{true, 3 * time.Millisecond, 10},       // between half the target and the target: hold
		{true, 5 * time.Millisecond, 9},        // over: down a tenth
		{true, 50 * time.Millisecond, testMin}, //
		{true, 50 * time.Millisecond, testMin}, // never under the floor
		{true, 0, testMin + 1},                 //
		{false, 0, testMin + 2},                // calm again, but still armed for calmHold
		{false, 5 * time.Millisecond, 9},       // (and still following the CPU queue)
	}
	for i, s := range steps {
		d.over.Store(s.over)
		d.queue.Store(int64(s.queue))
		d.window(t)
		if got := d.Limit(); got != s.want {
			t.Fatalf("step %d: limit %d, want %d", i, got, s.want)
		}
	}
	// calmHold after the overload the door is on the ramp while it holds requests back: the
	// limit grows by its size per rampTime, whatever the CPU queue.
	d.clock.Advance(calmHold)
	d.queuedInWindow()
	d.window(t) // the window lasted calmHold + doorWindowTime
	if got, want := d.Limit(), int64(9+9*1050/1000); got != want {
		t.Fatalf("ramp: limit %d, want %d", got, want)
	}
	d.window(t)
	if got := d.Limit(); got != 18 {
		t.Fatalf("ramp, nobody held back: limit %d", got)
	}
	// calmHold with nobody held back opens the door: the limit follows what is inside again.
	d.clock.Advance(calmHold)
	d.window(t)
	if got := d.Limit(); got != testMin {
		t.Fatalf("open: limit %d", got)
	}
	if d.Refused() != 0 {
		t.Fatalf("refused %d", d.Refused())
	}
}

// queuedInWindow marks the current window as one in which the limit held a request back.
func (d testDoor) queuedInWindow() {
	d.wmu.Lock()
	d.queued = true
	d.wmu.Unlock()
}

// full returns a door armed with its limit at the floor and that many requests inside, and
// their releases.
func full(t *testing.T, admitWait, holdWait time.Duration) (testDoor, []func()) {
	t.Helper()
	d := newTestDoor(admitWait, holdWait)
	d.window(t) // the limit down to the floor
	d.over.Store(true)
	var inside []func()
	for range testMin {
		if !d.Admit(context.Background()) {
			t.Fatal("refused under the limit")
		}
		inside = append(inside, d.Leave)
	}
	return d, inside
}

func (d *Door) waiting() int {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	return len(d.waiters)
}

// queue starts a request that waits at the door and returns where its outcome arrives.
func queue(t *testing.T, d testDoor, ctx context.Context) <-chan bool {
	t.Helper()
	n := d.waiting()
	got := make(chan bool, 1)
	go func() {
		ok := d.Admit(ctx)
		got <- ok
	}()
	for d.waiting() != n+1 {
		time.Sleep(time.Millisecond)
	}
	return got
}

// Far over the target (an overload that found the door open and everyone inside) the limit
// halves every window; just over it, it comes down a tenth.
func TestDoorLimitHalvesFarOverTheTarget(t *testing.T) {
	d := newTestDoor(time.Hour, time.Hour)
	d.over.Store(true)
	for _, s := range []struct {
		queue time.Duration // the target is 4 ms
		from  int64
		want  int64
	}{
		{100 * time.Millisecond, 1000, 500},
		{9 * time.Millisecond, 1000, 500},
		{8 * time.Millisecond, 1000, 900}, // twice the target: a tenth
		{5 * time.Millisecond, 1000, 900},
		{100 * time.Millisecond, 12, testMin}, // never under the floor
	} {
		d.limit.Store(s.from)
		d.queue.Store(int64(s.queue))
		d.window(t)
		if got := d.Limit(); got != s.want {
			t.Errorf("CPU queue %v: limit %d → %d, want %d", s.queue, s.from, got, s.want)
		}
	}
}

func TestDoorCalmAdmitsEverything(t *testing.T) {
	d := newTestDoor(0, 0)
	d.window(t) // limit down to the floor
	for i := range 10 * testMin {
		if !d.Admit(context.Background()) {
			t.Fatalf("request %d refused while calm", i)
		}
	}
}

func TestDoorLetsTheNewestWaiterInFirst(t *testing.T) {
	d, inside := full(t, time.Hour, time.Hour)
	older := queue(t, d, context.Background())
	newer := queue(t, d, context.Background())
	inside[0]()
	if !<-newer {
		t.Fatal("newer waiter refused")
	}
	select {
	case <-older:
		t.Fatal("older waiter let in before the newer one")
	default:
	}
	inside[1]()
	if !<-older {
		t.Fatal("older waiter refused")
	}
	if n := d.inflight.Load(); n != testMin {
		t.Fatalf("inside %d, want %d", n, testMin)
	}
}

// A waiter that has waited longer than admitWait is not let in: the slot stays free for a
// request that arrives now. Only once the door has emptied to half its limit is a stale
// waiter refused at once (its hold would keep its client from sending anything new).
func TestDoorLetsNoStaleWaiterIn(t *testing.T) {
	d, inside := full(t, 20*time.Millisecond, time.Hour)
	stale := queue(t, d, context.Background())
	d.clock.Advance(21 * time.Millisecond)
	for i := range testMin / 2 {
		inside[i]()
		if n := d.inflight.Load(); n != int64(testMin-1-i) {
			t.Fatalf("inside %d after %d left: the slot went to the stale waiter", n, i+1)
		}
		if d.Refused() != 0 || d.waiting() != 1 {
			t.Fatalf("%d left, door %d of %d full: refused %d, waiting %d", i+1, d.inflight.Load(), testMin, d.Refused(), d.waiting())
		}
	}
	inside[testMin/2]() // half empty: the stale waiter's client had better send a new request
	if <-stale {
		t.Fatal("stale waiter let in")
	}
	if d.Refused() != 1 || d.waiting() != 0 {
		t.Fatalf("half empty: refused %d, waiting %d", d.Refused(), d.waiting())
	}
	if !d.Admit(context.Background()) {
		t.Fatal("a new request was refused with a slot free")
	}
}

// The hold is holdWait give or take a third, never under admitWait, and varies from one
// refused request to the next.
func TestDoorHoldSpread(t *testing.T) {
	cases := []struct {
		admitWait, holdWait, lo, hi time.Duration
	}{
		{50 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond},
		{50 * time.Millisecond, 60 * time.Millisecond, 50 * time.Millisecond, 80 * time.Millisecond},
		{50 * time.Millisecond, 0, 50 * time.Millisecond, 67 * time.Millisecond}, // holdWait is at least admitWait
	}
	for _, c := range cases {
		d := newTestDoor(c.admitWait, c.holdWait)
		least, most := time.Duration(1<<62), time.Duration(0)
		for range 2000 {
			h := d.hold()
			least, most = min(least, h), max(most, h)
		}
		if least < c.lo || most > c.hi {
			t.Errorf("admit %v hold %v: holds from %v to %v, want within %v..%v", c.admitWait, c.holdWait, least, most, c.lo, c.hi)
		}
		if c.lo < c.hi && most-least < (c.hi-c.lo)/2 {
			t.Errorf("admit %v hold %v: holds only from %v to %v", c.admitWait, c.holdWait, least, most)
		}
	}
}

func TestDoorRefusesWhenTheHoldEnds(t *testing.T) {
	d, inside := full(t, time.Nanosecond, time.Nanosecond)
	if d.Admit(context.Background()) {
		t.Fatal("admitted over the limit with nobody leaving")
	}
	d.held.Store(maxHeld) // the door's waiting room is full: refused without waiting
	d.holdWait = time.Hour
	if d.Admit(context.Background()) {
		t.Fatal("admitted with the waiting room full")
	}
	d.held.Store(0)
	if d.Refused() != 2 {
		t.Fatalf("refused %d", d.Refused())
	}
	for _, release := range inside {
		release()
	}
	if ok := d.Admit(context.Background()); !ok || d.inflight.Load() != 1 {
		t.Fatalf("after all left: ok=%v inside %d", ok, d.inflight.Load())
	}
}

// fill admits requests until the door is at its limit and returns how many it admitted.
func (d testDoor) fill(t *testing.T) int {
	t.Helper()
	n := 0
	for d.inflight.Load() < d.Limit() {
		if !d.Admit(context.Background()) {
			t.Fatal("refused under the limit")
		}
		n++
	}
	return n
}

// The limit stays in force calmHold after the overload, and then for calmHold after it last
// held a request back (the ramp); then the door is open.
func TestDoorStaysArmedForCalmHold(t *testing.T) {
	d, inside := full(t, time.Nanosecond, time.Nanosecond)
	for _, over := range []bool{true, false} {
		d.over.Store(over)
		if d.Admit(context.Background()) {
			t.Fatalf("over=%v: admitted over the limit", over)
		}
	}
	d.clock.Advance(calmHold * 9 / 10)
	for _, release := range inside {
		release()
	}
	d.queuedInWindow()
	d.window(t) // armed still: the window that held a request back ends
	d.clock.Advance(calmHold / 5)
	admitted := d.fill(t)
	if d.Admit(context.Background()) {
		t.Fatal("admitted over the limit on the ramp")
	}
	d.clock.Advance(calmHold)
	if !d.Admit(context.Background()) {
		t.Fatal("refused over the limit with the door open")
	}
	for range admitted {
		d.Leave()
	}
}

// Many requests at once on the real clock: every one is admitted or refused, and the door
// ends empty (run with -race).
func TestDoorConcurrent(t *testing.T) {
	var over atomic.Bool
	over.Store(true)
	d := NewDoor(DoorOptions{Overloaded: over.Load, Now: time.Now, AdmitWait: time.Millisecond, HoldWait: 2 * time.Millisecond,
		Latency: func() time.Duration { return 0 }, Target: time.Millisecond, MinLimit: testMin})
	d.limit.Store(testMin)
	var wg sync.WaitGroup
	var in, out atomic.Int64
	for range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d.Admit(context.Background()) {
				in.Add(1)
				time.Sleep(100 * time.Microsecond)
				d.Leave()
			} else {
				out.Add(1)
			}
		}()
	}
	wg.Wait()
	if in.Load()+out.Load() != 400 || uint64(out.Load()) != d.Refused() {
		t.Fatalf("admitted %d refused %d (door says %d)", in.Load(), out.Load(), d.Refused())
	}
	if d.inflight.Load() != 0 || d.held.Load() != 0 {
		t.Fatalf("inside %d, held %d after all left", d.inflight.Load(), d.held.Load())
	}
}
