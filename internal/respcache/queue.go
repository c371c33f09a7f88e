package respcache

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// write is one queued change to a store behind the request path.
type write struct {
	key     string
	value   []byte // nil: delete key
	expires time.Time
}

// writeQueue hands writes from the request path to one background writer without ever
// waiting: when the queue is full the write is dropped (a cache that misses an entry only
// costs an upstream call).
type writeQueue struct {
	ch      chan write
	dropped atomic.Uint64
	log     *slog.Logger
}

// queueLen bounds the writes waiting for the store; batchLen is how many one flush takes.
const (
	queueLen     = 1024
	batchLen     = 64
	writeTimeout = 5 * time.Second
)

func newWriteQueue(log *slog.Logger) *writeQueue {
	if log == nil {
		log = slog.Default()
	}
	return &writeQueue{ch: make(chan write, queueLen), log: log}
}

func (q *writeQueue) push(w write) {
	select {
	case q.ch <- w:
	default:
		if q.dropped.Add(1)%100 == 1 {
			q.log.Warn("response cache: write queue full; entries not stored", "dropped", q.dropped.Load())
		}
	}
}

// run flushes queued writes in batches until ctx ends, then flushes what is still queued. A
// flush is not cut by ctx (each has writeTimeout); a failed one is logged and its writes
// dropped.
func (q *writeQueue) run(ctx context.Context, flush func(context.Context, []write) error) {
	batch := make([]write, 0, batchLen)
	wctx := context.WithoutCancel(ctx)
	do := func() {
		if len(batch) == 0 {
			return
		}
		fctx, cancel := context.WithTimeout(wctx, writeTimeout)
		defer cancel()
		if err := flush(fctx, batch); err != nil {
			q.log.Warn("response cache: writing entries failed", "entries", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case w := <-q.ch:
			batch = append(batch, w)
			for len(batch) < batchLen && len(q.ch) > 0 {
				batch = append(batch, <-q.ch)
			}
			do()
		case <-ctx.Done():
			for len(q.ch) > 0 {
				if batch = append(batch, <-q.ch); len(batch) == batchLen {
					do()
				}
			}
			do()
			return
		}
	}
}
