// Package fanout tells the other instances of a cluster that something changed (the
// configuration, a notification, provider health), through Redis pub/sub or PostgreSQL
// LISTEN/NOTIFY. A message published by an instance reaches every other one within
// milliseconds while they are connected; after a reconnection a subscriber gets a Resync
// message, since what was published meanwhile is lost.
package fanout

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/wait"
)

// Resync is the topic of the message a subscriber gets when it (re)connects: messages may
// have been missed, reload what they would have announced.
const Resync = "resync"

// Message is what one instance tells the others.
type Message struct {
	Topic string          `json:"t"`
	From  string          `json:"f"` // the publishing instance; it does not get its own messages
	Data  json.RawMessage `json:"d,omitempty"`
}

// Fanout publishes messages to, and receives them from, the other instances.
type Fanout interface {
	// Publish sends a message with data encoded as JSON (nil for none).
	Publish(ctx context.Context, topic string, data any) error
	// Run calls on for every message of another instance, and with a Resync message after
	// each (re)connection, until ctx ends. It reconnects by itself.
	Run(ctx context.Context, on func(Message))
}

// NewInstanceID returns an id for this process's messages.
func NewInstanceID() string { return ids.New("inst") }

func encode(from, topic string, data any) ([]byte, error) {
	m := Message{Topic: topic, From: from}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("fanout: %s: %w", topic, err)
		}
		m.Data = b
	}
	return json.Marshal(m)
}

// decode parses a message; ok is false for this instance's own messages and garbage.
func decode(self string, payload []byte) (Message, bool) {
	var m Message
	if err := json.Unmarshal(payload, &m); err != nil || m.Topic == "" || m.From == self {
		return Message{}, false
	}
	return m, true
}

// backoff waits before a reconnection attempt (n ≥ 0), or until ctx ends.
func backoff(ctx context.Context, n int) error {
	return wait.Sleep(ctx, min(100*time.Millisecond<<min(n, 5), 3*time.Second))
}

// link follows a connection that reconnects: it logs the first failure of a run and the
// recovery, and spaces the attempts out.
type link struct {
	log      *slog.Logger
	what     string // "Redis subscription"
	failures int
}

// up notes that the connection is back.
func (l *link) up() {
	if l.failures > 0 {
		l.log.Info("fanout: " + l.what + " back")
	}
	l.failures = 0
}

// down notes that the connection was lost with err and waits before the next attempt; it
// reports false when ctx has ended.
func (l *link) down(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if l.failures == 0 {
		l.log.Warn("fanout: "+l.what+" lost; reconnecting", "err", err)
	}
	if backoff(ctx, l.failures) != nil {
		return false
	}
	l.failures++
	return true
}
