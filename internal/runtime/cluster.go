package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fanout"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/keys"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/notify"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/secrets"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/store"
)

// Several instances share state through real engines: the store on PostgreSQL
// (Options.DatabaseURL), limits, budgets and config-change messages through Redis
// (Options.RedisURL; without Redis, config changes travel by PostgreSQL LISTEN/NOTIFY).

// Limiter is what the gateway, the admin API and the notification triggers ask of the limits:
// limits.Tracker in one process, limits.Shared across instances.
type Limiter interface {
	Admit(ctx context.Context, k config.Key, promptEstimate int, estCost float64) (limits.Decision, error)
	Finish(ctx context.Context, k config.Key, estimate, tokens int, cost float64) float64
	Seed(k config.Key, spend float64)
	Spend(k config.Key) (float64, *time.Time)
	Forget(keyID string)
}

// Topics of the fan-out messages: a configuration change, an event for /admin/events.
const (
	topicConfig   = "config"
	topicEvent    = "event"
	topicCooldown = "cooldown" // a deployment benched or back (router.Cooldown)
)

// outgoing is a message waiting to be sent to the other instances.
type outgoing struct {
	topic string
	data  any
}

// relayed is an event of the notification bus sent to the other instances.
type relayed struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// relayQueue bounds the events waiting to be sent to the other instances; beyond it they are
// dropped (and logged) rather than block the publisher.
const relayQueue = 256

// busRelay returns the Relay of the notification bus: with a fan-out, the events published
// here (notifications, key spend, provider health; not the live request feed) go to the other
// instances' /admin/events too.
func (r *Runtime) busRelay() func(string, json.RawMessage) {
	if r.fanout == nil {
		return nil
	}
	return func(kind string, data json.RawMessage) {
		if kind != notify.KindRequest {
			r.send(topicEvent, relayed{Kind: kind, Data: data})
		}
	}
}

// shareCooldowns has the router's cooldowns decided here applied by the other instances too.
func (r *Runtime) shareCooldowns() {
	if r.fanout != nil {
		r.Router.OnCooldown(func(c router.Cooldown) { r.send(topicCooldown, c) })
	}
}

// send queues a message for the other instances without waiting.
func (r *Runtime) send(topic string, data any) {
	select {
	case r.relays <- outgoing{topic: topic, data: data}:
	default:
		r.Options.Logger.Warn("message not sent to the other instances: queue full", "topic", topic)
	}
}

// relay sends the messages queued by send to the other instances until ctx ends.
func (r *Runtime) relay(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.relays:
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err := r.fanout.Publish(pctx, m.topic, m.data); err != nil && ctx.Err() == nil {
				r.Options.Logger.Warn("message not sent to the other instances", "topic", m.topic, "err", err)
			}
			cancel()
		}
	}
}

// openStore opens the store: PostgreSQL when a database URL is set, else SQLite in the data
// directory.
func openStore(ctx context.Context, o Options) (*store.DB, error) {
	if o.DatabaseURL != "" {
		return store.OpenPostgres(ctx, o.DatabaseURL)
	}
	return store.Open(ctx, filepath.Join(o.DataDir, "conduit.db"))
}

// openShared opens the store on PostgreSQL, with the provider secrets sealed in it, for
// instances that share it: they must share the admin credential and the key that seals the
// secrets, so both are required rather than generated per instance.
func (r *Runtime) openShared(ctx context.Context) error {
	o := r.Options
	if strings.TrimSpace(o.MasterKey) == "" || strings.TrimSpace(o.SecretKey) == "" {
		return startupErr("with --database-url, set CONDUIT_MASTER_KEY and CONDUIT_SECRET_KEY (the same on every instance)")
	}
	db, err := openStore(ctx, o)
	if err != nil {
		return startupErr("%v", err)
	}
	sec, err := secrets.OpenDatabase(o.SecretKey, db)
	if err != nil {
		db.Close()
		return startupErr("%v", err)
	}
	r.DB, r.Secrets, r.MasterKey = db, sec, strings.TrimSpace(o.MasterKey)
	o.Logger.Info("secrets backend", "backend", sec.Backend(), "reason", "shared database")
	if err := r.openRedis(ctx); err != nil {
		db.Close()
		return err
	}
	return nil
}

// openRedis connects to Redis when a URL is set. An unreachable Redis is not a startup
// failure: limits fail open or closed as configured until it answers.
func (r *Runtime) openRedis(ctx context.Context) error {
	o := r.Options
	if o.RedisURL == "" {
		return nil
	}
	opt, err := redis.ParseURL(o.RedisURL)
	if err != nil {
		return startupErr("--redis-url: %v", err)
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = 500 * time.Millisecond
	opt.WriteTimeout = 500 * time.Millisecond
	opt.MaxRetries = 1
	r.redis = redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.redis.Ping(pctx).Err(); err != nil {
		o.Logger.Warn("Redis does not answer yet", "addr", opt.Addr, "err", err)
	}
	return nil
}

// newLimits returns the limits: shared in Redis when there is one.
func (r *Runtime) newLimits() Limiter {
	if r.redis == nil {
		return limits.NewTracker(time.Now)
	}
	r.SharedLimits = limits.NewShared(limits.SharedOptions{Client: r.redis,
		FailClosed: r.Options.RedisFailClosed, Logger: r.Options.Logger})
	return r.SharedLimits
}

// newCache returns the response cache: in Redis when there is one, else in memory with the
// database behind it; run writes its entries in the background (a startLoops loop).
func (r *Runtime) newCache(ctx context.Context) (c gateway.ResponseCache, run func(context.Context), err error) {
	if r.redis != nil {
		rc := respcache.NewRedis(r.redis, respcache.RedisOptions{Logger: r.Options.Logger})
		return rc, rc.Run, nil
	}
	lc, err := respcache.OpenLocal(ctx, r.DB, respcache.LocalOptions{Logger: r.Options.Logger})
	if err != nil {
		return nil, nil, err
	}
	return lc, lc.Run, nil
}

// newFanout returns how configuration changes reach the other instances: Redis pub/sub,
// else PostgreSQL LISTEN/NOTIFY, else nothing (one process).
func (r *Runtime) newFanout() fanout.Fanout {
	self := fanout.NewInstanceID()
	r.relays = make(chan outgoing, relayQueue)
	switch {
	case r.redis != nil:
		return fanout.NewRedis(r.redis, "conduit:", self, r.Options.Logger)
	case r.Options.DatabaseURL != "":
		return fanout.NewPostgres(r.Options.DatabaseURL, self, r.Options.Logger)
	}
	return nil
}

// listen reloads the configuration when another instance changed it (or after a
// reconnection, when a change may have been missed). Requests in flight keep their snapshot.
func (r *Runtime) listen(ctx context.Context) {
	r.fanout.Run(ctx, func(m fanout.Message) {
		switch m.Topic {
		case topicEvent:
			var ev relayed
			if err := json.Unmarshal(m.Data, &ev); err == nil && ev.Kind != "" {
				r.Bus.Deliver(ev.Kind, ev.Data)
			}
			return
		case topicCooldown:
			var c router.Cooldown
			if err := json.Unmarshal(m.Data, &c); err == nil && c.DeploymentID != "" {
				r.Router.Apply(c)
			}
			return
		}
		if m.Topic != topicConfig && m.Topic != fanout.Resync {
			return
		}
		if err := r.Config.Reload(ctx); err != nil && ctx.Err() == nil {
			r.Options.Logger.Error("reloading the configuration changed by another instance", "err", err)
		}
	})
}

// notificationClaims returns how instances sharing the database decide which of them delivers
// a notification (nil for one process: it delivers every one).
func (r *Runtime) notificationClaims() func(context.Context, notify.Notification) (bool, error) {
	if r.Options.DatabaseURL == "" {
		return nil
	}
	return r.DB.ClaimNotification
}

// healthFlips returns how instances sharing the database decide which of them notifies a
// provider's change of health (nil for one process: it notifies every change it sees).
func (r *Runtime) healthFlips() func(context.Context, string, bool, time.Time, time.Duration) (bool, error) {
	if r.Options.DatabaseURL == "" {
		return nil
	}
	return r.DB.FlipProviderHealth
}

// keyLookup returns how an instance sharing the database finds a key created on another one
// before the change reached it (nil for one process: every key is created through it).
func (r *Runtime) keyLookup() gateway.KeyLookup {
	if r.Options.DatabaseURL == "" {
		return nil
	}
	return &keys.Recheck{Known: r.DB.KeyHashKnown, Reload: r.Config.Reload, Logger: r.Options.Logger,
		Has: func(h [32]byte) bool { return r.Config.Load().Keys[h] != nil }}
}

// LiveConfig is the configuration as the admin API changes it: Reload rebuilds this
// instance's snapshot and tells the other instances to rebuild theirs.
type LiveConfig struct {
	*snapshot.Holder
	r *Runtime
}

// AdminConfig returns the configuration for the admin API.
func (r *Runtime) AdminConfig() LiveConfig { return LiveConfig{Holder: r.Config, r: r} }

// Reload rebuilds the snapshot here and announces the change to the other instances.
func (c LiveConfig) Reload(ctx context.Context) error {
	if err := c.Holder.Reload(ctx); err != nil {
		return err
	}
	if c.r.fanout != nil {
		if err := c.r.fanout.Publish(ctx, topicConfig, nil); err != nil {
			c.r.Options.Logger.Warn("the other instances were not told of a configuration change", "err", err)
		}
	}
	return nil
}

// closeRedis closes the Redis client, if any.
func (r *Runtime) closeRedis() error {
	if r.redis == nil {
		return nil
	}
	if err := r.redis.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("closing Redis: %w", err)
	}
	return nil
}
