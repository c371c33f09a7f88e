package respcache

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/conduit-gw/conduit/internal/store"
)

// DB is where a Local store keeps its entries across restarts (internal/store).
type DB interface {
	LoadCache(ctx context.Context, now time.Time, limit int) ([]store.CacheRow, error)
	WriteCache(ctx context.Context, put []store.CacheRow, del []string) error
	PruneCache(ctx context.Context, now time.Time, keep int) error
}

// LocalOptions configure a Local store.
type LocalOptions struct {
	// MaxBytes bounds the entries held (default 64 MiB); the least recently used go first.
	MaxBytes int
	// MaxEntries bounds the rows kept in the database (default 100000).
	MaxEntries int
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger
}

// Local is the single-process store: an in-memory LRU (Memory) that answers every lookup,
// with a database behind it that is written in the background and read once at start, so a
// restart keeps the cache and no request waits on the database.
type Local struct {
	mem        *Memory
	db         DB
	q          *writeQueue
	now        func() time.Time
	maxEntries int
	writes     int
}

// OpenLocal loads the unexpired entries of db (most recently used first, up to the bounds)
// and returns the store. Run must be running for its writes to reach db.
func OpenLocal(ctx context.Context, db DB, o LocalOptions) (*Local, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &Local{mem: NewMemory(o.MaxBytes, o.Now), db: db, q: newWriteQueue(o.Logger), now: o.Now,
		maxEntries: o.MaxEntries}
	rows, err := db.LoadCache(ctx, o.Now(), o.MaxEntries)
	if err != nil {
		return nil, fmt.Errorf("respcache: loading entries: %w", err)
	}
	for i := len(rows) - 1; i >= 0; i-- { // oldest first: the newest ends most recently used
		if e, err := Unmarshal(rows[i].Value); err == nil {
			l.mem.put(rows[i].Key, e, rows[i].Expires)
		}
	}
	l.mem.evicted = func(key string) { l.q.push(write{key: key}) }
	return l, nil
}

// Get looks key up in memory.
func (l *Local) Get(ctx context.Context, key string) (*Entry, error) { return l.mem.Get(ctx, key) }

// Set keeps e in memory at once and queues it for the database.
func (l *Local) Set(ctx context.Context, key string, e *Entry, ttl time.Duration) {
	exp := l.now().Add(ttl)
	l.mem.put(key, e, exp)
	l.q.push(write{key: key, value: e.Marshal(), expires: exp})
}

// Run writes queued entries to the database until ctx ends (then flushes the queue), and
// prunes expired rows and rows past MaxEntries every few hundred writes.
func (l *Local) Run(ctx context.Context) {
	l.q.run(ctx, l.flush)
}

func (l *Local) flush(ctx context.Context, batch []write) error {
	var (
		put []store.CacheRow
		del []string
		now = l.now()
	)
	last := make(map[string]int, len(batch)) // the batch's last write of each key wins
	for i, w := range batch {
		last[w.key] = i
	}
	for i, w := range batch {
		switch {
		case last[w.key] != i:
		case w.value == nil:
			del = append(del, w.key)
		default:
			put = append(put, store.CacheRow{Key: w.key, Value: w.value, Expires: w.expires, Used: now})
		}
	}
	if err := l.db.WriteCache(ctx, put, del); err != nil {
		return err
	}
	l.writes += len(batch)
	if l.writes >= 512 {
		l.writes = 0
		return l.db.PruneCache(ctx, now, l.maxEntries)
	}
	return nil
}

var _ Store = (*Local)(nil)
