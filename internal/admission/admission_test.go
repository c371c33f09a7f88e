package admission

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	g := New(2, 1, time.Hour)
	r1, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := g.Acquire(context.Background())
	// The third waits in the queue; the fourth finds the queue full and is shed at once.
	got := make(chan error, 1)
	var r3 func()
	go func() {
		var err error
		r3, err = g.Acquire(context.Background())
		got <- err
	}()
	for g.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	if _, err := g.Acquire(context.Background()); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("queue full: err = %v", err)
	}
	r1()
	r1() // idempotent: must not free a second slot
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if g.InUse() != 2 || g.Shed() != 1 {
		t.Fatalf("in use %d shed %d", g.InUse(), g.Shed())
	}
	r2()
	r3()
	if g.InUse() != 0 {
		t.Fatalf("in use %d after releases", g.InUse())
	}
}

func TestGateWaitExpires(t *testing.T) {
	g := New(1, 10, 5*time.Millisecond)
	r, _ := g.Acquire(context.Background())
	defer r()
	if _, err := g.Acquire(context.Background()); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g2 := New(1, 10, time.Hour)
	r2, _ := g2.Acquire(context.Background())
	defer r2()
	if _, err := g2.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: err = %v", err)
	}
}

func TestGateConcurrent(t *testing.T) {
	g := New(4, 1000, time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	maxSeen := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rel, err := g.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			maxSeen = max(maxSeen, g.InUse())
			mu.Unlock()
			rel()
		}()
	}
	wg.Wait()
	if maxSeen > 4 || g.InUse() != 0 {
		t.Fatalf("max in use %d, now %d", maxSeen, g.InUse())
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	g := New(64, 1024, time.Second)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, _ := g.Acquire(ctx)
			r()
		}
	})
}
