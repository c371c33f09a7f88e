// Package admission sheds load before Conduit's own CPU work saturates: a request holds a
// slot only while Conduit works on it (parsing and checking its body), never while it waits on an
// upstream, so long streams do not count against capacity. Past capacity requests queue
// briefly and are then refused fast instead of slowing every admitted request down.
package admission

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrOverloaded is returned when no slot frees up in time or the queue is full.
var ErrOverloaded = errors.New("admission: overloaded")

// Gate is a semaphore with a bounded wait queue. The zero value is not usable; use New.
type Gate struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
	maxWait  time.Duration
	shed     atomic.Uint64
}

// New returns a gate with `slots` concurrent holders, at most maxQueue waiters, each waiting
// at most maxWait.
func New(slots, maxQueue int, maxWait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, slots), maxQueue: int64(maxQueue), maxWait: maxWait}
}

// Acquire takes a slot; the returned release is idempotent and safe to call from any goroutine.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.releaser(), nil
	default:
	}
	if g.waiting.Add(1) > g.maxQueue {
		g.waiting.Add(-1)
		g.shed.Add(1)
		return nil, ErrOverloaded
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.releaser(), nil
	case <-t.C:
		g.shed.Add(1)
		return nil, ErrOverloaded
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *Gate) releaser() func() {
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			<-g.slots
		}
	}
}

// Shed is the number of requests refused so far.
func (g *Gate) Shed() uint64 { return g.shed.Load() }

// InUse is the number of slots held.
func (g *Gate) InUse() int { return len(g.slots) }
