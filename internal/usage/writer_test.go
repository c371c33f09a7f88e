package usage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type memSink struct {
	mu       sync.Mutex
	rows     []Record
	batches  int
	maxBatch int
	fail     int // fail this many calls first
	block    chan struct{}
}

func (m *memSink) InsertLogs(ctx context.Context, recs []Record) error {
	if m.block != nil {
		<-m.block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return errors.New("disk full")
	}
	m.rows = append(m.rows, recs...)
	m.batches++
	m.maxBatch = max(m.maxBatch, len(recs))
	return nil
}

func (m *memSink) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.rows) }

func TestWriterFlushesEverythingOnClose(t *testing.T) {
	sink := &memSink{}
	w := NewWriter(sink, WriterOptions{BatchSize: 100, FlushInterval: time.Hour})
	const n = 10_000
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < n/8; i++ {
				if !w.Enqueue(Record{ID: fmt.Sprintf("%d-%d", g, i)}) {
					t.Error("dropped")
				}
			}
		}(g)
	}
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.count(); got != n {
		t.Fatalf("stored %d rows, want %d", got, n)
	}
	if w.Written() != n || w.Dropped() != 0 {
		t.Fatalf("written %d dropped %d", w.Written(), w.Dropped())
	}
	seen := map[string]bool{}
	for _, r := range sink.rows {
		if seen[r.ID] {
			t.Fatalf("row %s stored twice", r.ID)
		}
		seen[r.ID] = true
	}
	if sink.batches < n/100 {
		t.Fatalf("%d batches, want at least %d (batch size 100)", sink.batches, n/100)
	}
	if w.Enqueue(Record{}) {
		t.Fatal("Enqueue after Close succeeded")
	}
}

func TestWriterDropsWhenFullWithoutBlocking(t *testing.T) {
	sink := &memSink{block: make(chan struct{})}
	w := NewWriter(sink, WriterOptions{QueueSize: 10, BatchSize: 1, FlushInterval: time.Hour})
	accepted := 0
	for i := 0; i < 100; i++ {
		if w.Enqueue(Record{}) {
			accepted++
		}
	}
	// One record may be held by the blocked sink, ten in the queue.
	if accepted > 11 || w.Dropped() != uint64(100-accepted) {
		t.Fatalf("accepted %d, dropped %d", accepted, w.Dropped())
	}
	close(sink.block)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sink.count() != accepted {
		t.Fatalf("stored %d, want %d", sink.count(), accepted)
	}
}

func TestWriterRetriesFailedBatch(t *testing.T) {
	sink := &memSink{fail: 2}
	w := NewWriter(sink, WriterOptions{BatchSize: 5})
	for i := 0; i < 5; i++ {
		w.Enqueue(Record{})
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sink.count() != 5 || w.Failed() != 0 {
		t.Fatalf("stored %d failed %d", sink.count(), w.Failed())
	}
}

func TestWriterFlushesOnInterval(t *testing.T) {
	sink := &memSink{}
	w := NewWriter(sink, WriterOptions{BatchSize: 1000, FlushInterval: 10 * time.Millisecond})
	defer w.Close(context.Background())
	w.Enqueue(Record{ID: "x"})
	deadline := time.Now().Add(5 * time.Second)
	for sink.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("record not flushed by the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A backlog built up while the store was slow is stored in order, in batches of at most
// BatchSize.
func TestWriterStoresBacklogInBatches(t *testing.T) {
	sink := &memSink{block: make(chan struct{})}
	w := NewWriter(sink, WriterOptions{BatchSize: 10, FlushInterval: time.Hour})
	const n = 95
	for i := range n {
		if !w.Enqueue(Record{ID: fmt.Sprint(i)}) {
			t.Fatalf("record %d dropped", i)
		}
	}
	close(sink.block)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sink.count() != n || sink.maxBatch > 10 || sink.batches < n/10 {
		t.Fatalf("stored %d rows in %d batches of at most %d; want %d in batches of at most 10",
			sink.count(), sink.batches, sink.maxBatch, n)
	}
	for i, r := range sink.rows {
		if r.ID != fmt.Sprint(i) {
			t.Fatalf("row %d is %q: out of order", i, r.ID)
		}
	}
}
