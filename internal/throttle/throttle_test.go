package throttle

import (
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
)

func newTest(limit int) (*Throttle, *fakeclock.Clock) {
	c := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return New(Options{Limit: limit, Window: time.Minute, Block: 2 * time.Minute, Now: c.Now}), c
}

func TestTripsAfterLimit(t *testing.T) {
	th, c := newTest(3)
	for i := 1; i <= 2; i++ {
		if _, tripped := th.Fail("10.0.0.1"); tripped {
			t.Fatalf("tripped after %d failures", i)
		}
		if _, b := th.Blocked("10.0.0.1"); b {
			t.Fatalf("blocked after %d failures", i)
		}
	}
	d, tripped := th.Fail("10.0.0.1")
	if !tripped || d != 2*time.Minute {
		t.Fatalf("third failure: tripped=%v retry=%v", tripped, d)
	}
	c.Advance(30 * time.Second)
	if d, b := th.Blocked("10.0.0.1"); !b || d != 90*time.Second {
		t.Fatalf("Blocked = %v %v, want 90s true", d, b)
	}
	if _, b := th.Blocked("10.0.0.2"); b {
		t.Fatal("another address is blocked")
	}
	c.Advance(90 * time.Second)
	if _, b := th.Blocked("10.0.0.1"); b {
		t.Fatal("still blocked after the block ran out")
	}
	if th.Trips() != 1 || th.Failures() != 3 || th.Refused() != 1 {
		t.Errorf("trips %d failures %d refused %d", th.Trips(), th.Failures(), th.Refused())
	}
	// After the block the address starts afresh.
	if _, tripped := th.Fail("10.0.0.1"); tripped {
		t.Fatal("tripped on the first failure after a block")
	}
}

func TestWindowResets(t *testing.T) {
	th, c := newTest(3)
	th.Fail("a")
	th.Fail("a")
	c.Advance(time.Minute) // the window has passed: counting starts again
	if _, tripped := th.Fail("a"); tripped {
		t.Fatal("failures of an old window counted")
	}
	th.Fail("a")
	if _, tripped := th.Fail("a"); !tripped {
		t.Fatal("three failures within the window did not trip")
	}
}

func TestFailWhileBlocked(t *testing.T) {
	th, c := newTest(2)
	th.Fail("a")
	th.Fail("a")
	c.Advance(time.Minute)
	if d, tripped := th.Fail("a"); tripped || d != time.Minute {
		t.Fatalf("Fail while blocked = %v %v", d, tripped)
	}
	if th.Trips() != 1 {
		t.Fatalf("trips %d", th.Trips())
	}
}

func TestMemoryBounded(t *testing.T) {
	c := fakeclock.New(time.Unix(0, 0))
	th := New(Options{Limit: 2, MaxAddrs: 4, Now: c.Now})
	th.Fail("blocked")
	th.Fail("blocked")
	for _, a := range []string{"a", "b", "c", "d", "e", "f"} {
		th.Fail(a)
	}
	th.mu.Lock()
	n := len(th.addrs)
	th.mu.Unlock()
	if n > 4 {
		t.Errorf("%d addresses remembered, want at most 4", n)
	}
	if _, b := th.Blocked("blocked"); !b {
		t.Error("a sweep forgot a blocked address")
	}
}

func TestBlockedFastPath(t *testing.T) {
	th, _ := newTest(3)
	allocs := testing.AllocsPerRun(100, func() { th.Blocked("127.0.0.1") })
	if allocs != 0 {
		t.Errorf("Blocked allocates %v times", allocs)
	}
}
