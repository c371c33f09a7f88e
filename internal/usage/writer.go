package usage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sink persists batches of records (the store).
type Sink interface {
	InsertLogs(ctx context.Context, recs []Record) error
}

// WriterOptions tune a Writer; zero values take the defaults shown.
type WriterOptions struct {
	QueueSize     int           // 16384: 8 s of traffic at 2,000 req/s
	BatchSize     int           // 1000
	FlushInterval time.Duration // 200ms
	Logger        *slog.Logger
	// OnFlush, if set, is called after each batch is stored (for metrics and spend rebuild).
	OnFlush func(n int, took time.Duration, err error)
}

// Writer queues records and stores them in batches from one goroutine. Enqueue never blocks:
// when the queue is full the record is dropped and counted.
//
// The queue is a slice that Enqueue appends to under a mutex and the writer swaps for an
// empty one when it flushes (every FlushInterval, or as soon as a batch is full): a request
// costs one short critical section and no goroutine wake-up, and the queue's memory is what
// is queued, not its capacity.
type Writer struct {
	sink    Sink
	opts    WriterOptions
	dropped atomic.Uint64
	written atomic.Uint64
	failed  atomic.Uint64

	mu      sync.Mutex
	pending []Record // queued, oldest first; at most opts.QueueSize
	spare   []Record // the run goroutine's emptied previous batch, the next pending
	closed  bool

	full      chan struct{} // a batch is waiting (capacity 1)
	closeOnce sync.Once
	closing   chan struct{}
	done      chan struct{}
}

// NewWriter starts a writer.
func NewWriter(sink Sink, opts WriterOptions) *Writer {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 16384
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := &Writer{sink: sink, opts: opts, full: make(chan struct{}, 1),
		closing: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Enqueue queues a record without waiting. It reports false when the record was dropped.
func (w *Writer) Enqueue(r Record) bool {
	w.mu.Lock()
	if w.closed || len(w.pending) >= w.opts.QueueSize {
		w.mu.Unlock()
		w.dropped.Add(1)
		return false
	}
	w.pending = append(w.pending, r)
	full := len(w.pending) == w.opts.BatchSize
	w.mu.Unlock()
	if full {
		select {
		case w.full <- struct{}{}:
		default:
		}
	}
	return true
}

// Depth is the number of queued records.
func (w *Writer) Depth() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Dropped is the number of records dropped because the queue was full.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written is the number of records stored.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Failed is the number of records whose batch the sink refused.
func (w *Writer) Failed() uint64 { return w.failed.Load() }

// Close stops accepting records, stores everything queued and returns when done or when ctx
// ends (then the remaining records are lost and counted as failed).
func (w *Writer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		close(w.closing)
	})
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-w.full:
		case <-w.closing:
			// Enqueue accepts nothing more: what is queued now is the last of it.
			for w.flush() {
			}
			return
		}
		// A backlog (the store was slow) is stored batch after batch.
		for w.flush() && w.Depth() >= w.opts.BatchSize {
		}
	}
}

// flush stores the oldest BatchSize queued records (or all, if fewer) and reports whether
// there were any. The rest of a backlog stays queued for the next flush.
func (w *Writer) flush() bool {
	w.mu.Lock()
	batch := w.pending
	if len(batch) == 0 {
		w.mu.Unlock()
		return false
	}
	if len(batch) > w.opts.BatchSize {
		w.pending = append(w.spare, batch[w.opts.BatchSize:]...)
		batch = batch[:w.opts.BatchSize]
	} else {
		w.pending = w.spare
	}
	w.spare = nil
	w.mu.Unlock()
	w.store(batch)
	clear(batch[:cap(batch)]) // the stored records' strings and bodies can be collected
	if cap(batch) <= 2*w.opts.BatchSize {
		w.spare = batch[:0]
	} // else a backlog's slice goes: the queue shrinks back once it is drained
	return true
}

func (w *Writer) store(batch []Record) {
	start := time.Now()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = w.sink.InsertLogs(ctx, batch)
		cancel()
		if err == nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	if err != nil {
		w.failed.Add(uint64(len(batch)))
		w.opts.Logger.Error("usage: storing request logs failed", "rows", len(batch), "err", err)
	} else {
		w.written.Add(uint64(len(batch)))
	}
	if w.opts.OnFlush != nil {
		w.opts.OnFlush(len(batch), time.Since(start), err)
	}
}
