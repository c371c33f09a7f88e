package respcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the store shared by every instance: one string per entry under a prefix, expired by
// Redis itself. Its size is bounded by the server's maxmemory with an LRU policy
// (volatile-lru or allkeys-lru: every entry has a TTL). Writes go out in the background.
type Redis struct {
	c       redis.Cmdable
	prefix  string
	timeout time.Duration
	q       *writeQueue
}

// RedisOptions configure a Redis store.
type RedisOptions struct {
	Prefix string // key prefix (default "conduit:cache:")
	// Timeout bounds a lookup (default 200ms): past it the request goes on as a miss.
	Timeout time.Duration
	Logger  *slog.Logger
}

// NewRedis returns a store on c. Run must be running for its writes to reach Redis.
func NewRedis(c redis.Cmdable, o RedisOptions) *Redis {
	if o.Prefix == "" {
		o.Prefix = "conduit:cache:"
	}
	if o.Timeout <= 0 {
		o.Timeout = 200 * time.Millisecond
	}
	return &Redis{c: c, prefix: o.Prefix, timeout: o.Timeout, q: newWriteQueue(o.Logger)}
}

// Get reads key from Redis within the lookup timeout.
func (r *Redis) Get(ctx context.Context, key string) (*Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	b, err := r.c.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("respcache: redis get: %w", err)
	}
	return Unmarshal(b)
}

// Set queues e for Redis with ttl.
func (r *Redis) Set(_ context.Context, key string, e *Entry, ttl time.Duration) {
	r.q.push(write{key: r.prefix + key, value: e.Marshal(), expires: time.Now().Add(ttl)})
}

// Run writes queued entries (one pipeline per batch) until ctx ends, then flushes the queue.
func (r *Redis) Run(ctx context.Context) {
	r.q.run(ctx, func(ctx context.Context, batch []write) error {
		p := r.c.Pipeline()
		for _, w := range batch {
			if ttl := time.Until(w.expires); ttl > 0 {
				p.Set(ctx, w.key, w.value, ttl)
			}
		}
		_, err := p.Exec(ctx)
		return err
	})
}

var _ Store = (*Redis)(nil)
