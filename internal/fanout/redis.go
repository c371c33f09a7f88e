package fanout

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// Redis is a Fanout on a Redis pub/sub channel.
type Redis struct {
	rdb     redis.UniversalClient
	channel string
	self    string
	log     *slog.Logger
}

// NewRedis returns a Fanout on the channel prefix+"events"; self is this instance's id.
func NewRedis(rdb redis.UniversalClient, prefix, self string, log *slog.Logger) *Redis {
	if log == nil {
		log = slog.Default()
	}
	return &Redis{rdb: rdb, channel: prefix + "events", self: self, log: log}
}

// Publish implements Fanout.
func (r *Redis) Publish(ctx context.Context, topic string, data any) error {
	b, err := encode(r.self, topic, data)
	if err != nil {
		return err
	}
	return r.rdb.Publish(ctx, r.channel, b).Err()
}

// Run implements Fanout. go-redis resubscribes after a lost connection; each subscription
// confirmation is a Resync.
func (r *Redis) Run(ctx context.Context, on func(Message)) {
	ps := r.rdb.Subscribe(ctx, r.channel)
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() }) // a blocked Receive ignores ctx
	defer func() {
		stop()
		_ = ps.Close()
	}()
	l := link{log: r.log, what: "Redis subscription"}
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			if !l.down(ctx, err) {
				return
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				l.up()
				on(Message{Topic: Resync})
			}
		case *redis.Message:
			if dm, ok := decode(r.self, []byte(m.Payload)); ok {
				on(dm)
			}
		}
	}
}

var _ Fanout = (*Redis)(nil)
