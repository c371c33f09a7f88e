package fanout

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
)

// Postgres is a Fanout on PostgreSQL LISTEN/NOTIFY: one connection of its own listens, each
// Publish is one pg_notify on a short-lived connection (changes are rare).
type Postgres struct {
	dsn     string
	channel string
	self    string
	log     *slog.Logger
}

// NewPostgres returns a Fanout on the channel "conduit_events" of the database at dsn.
func NewPostgres(dsn, self string, log *slog.Logger) *Postgres {
	if log == nil {
		log = slog.Default()
	}
	return &Postgres{dsn: dsn, channel: "conduit_events", self: self, log: log}
}

// Publish implements Fanout.
func (p *Postgres) Publish(ctx context.Context, topic string, data any) error {
	b, err := encode(p.self, topic, data)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		return fmt.Errorf("fanout: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", p.channel, string(b)); err != nil {
		return fmt.Errorf("fanout: notify: %w", err)
	}
	return nil
}

// Run implements Fanout.
func (p *Postgres) Run(ctx context.Context, on func(Message)) {
	l := link{log: p.log, what: "PostgreSQL listener"}
	for {
		if err := p.listen(ctx, on, l.up); !l.down(ctx, err) {
			return
		}
	}
}

func (p *Postgres) listen(ctx context.Context, on func(Message), connected func()) error {
	conn, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{p.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	on(Message{Topic: Resync})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if m, ok := decode(p.self, []byte(n.Payload)); ok {
			on(m)
		}
	}
}

var _ Fanout = (*Postgres)(nil)
