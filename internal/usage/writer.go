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
type Writer struct {
	sink    Sink
	opts    WriterOptions
	q       chan Record
	dropped atomic.Uint64
	written atomic.Uint64
	failed  atomic.Uint64

	closeOnce sync.Once
	closing   chan struct{}
	done      chan struct{}
	mu        sync.RWMutex // Enqueue holds R; Close holds W to stop sends before draining
	closed    bool
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
	w := &Writer{sink: sink, opts: opts, q: make(chan Record, opts.QueueSize),
		closing: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Enqueue queues a record without waiting. It reports false when the record was dropped.
func (w *Writer) Enqueue(r Record) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.dropped.Add(1)
		return false
	}
	select {
	case w.q <- r:
		return true
	default:
		w.dropped.Add(1)
		return false
	}
}

// Depth is the number of queued records.
func (w *Writer) Depth() int { return len(w.q) }

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
	batch := make([]Record, 0, w.opts.BatchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		w.store(batch)
		batch = batch[:0]
	}
	add := func(r Record) {
		batch = append(batch, r)
		if len(batch) >= w.opts.BatchSize {
			flush()
		}
	}
	for {
		select {
		case r := <-w.q:
			add(r)
		case <-t.C:
			flush()
		case <-w.closing:
			for {
				select {
				case r := <-w.q:
					add(r)
				default:
					flush()
					return
				}
			}
		}
	}
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
