package notify

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Event is one message on the Bus.
type Event struct {
	// ID increases by one per published event. The first ID is seeded from the clock
	// (microseconds since the epoch), so IDs keep increasing across restarts and a client
	// resuming with a Last-Event-ID from a previous run gets the new run's events.
	ID   uint64
	Kind string
	Time time.Time // UTC
	// Data is the JSON payload. It is shared by every subscriber: never modify it.
	Data json.RawMessage
	// Dropped is how many events this subscriber lost (its buffer was full) just before this
	// one; 0 normally. A subscriber may resume the gap with Subscribe(lastSeenID).
	Dropped uint64
}

// BusOptions configure a Bus. Zero values take the defaults.
type BusOptions struct {
	History int // events kept for resume (default 1000)
	Buffer  int // capacity of each subscriber's channel (default 256)
	Now     func() time.Time
	Logger  *slog.Logger
	// Relay, if set, is given every event published here (not those Deliver hands over from
	// other instances), after its subscribers; it must not block.
	Relay func(kind string, data json.RawMessage)
}

// Bus is an in-process publish/subscribe hub. Publish never blocks: a subscriber whose buffer
// is full loses events (and is told so through Event.Dropped). Safe for concurrent use.
type Bus struct {
	now    func() time.Time
	log    *slog.Logger
	buffer int
	relay  func(string, json.RawMessage)

	mu     sync.Mutex
	ring   []Event // circular buffer of the last History events
	start  int     // index of the oldest event in ring, once it is full
	lastID uint64
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch      chan Event
	dropped uint64
}

// NewBus returns an empty Bus.
func NewBus(opts BusOptions) *Bus {
	if opts.History <= 0 {
		opts.History = 1000
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 256
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{
		now:    opts.Now,
		log:    opts.Logger,
		buffer: opts.Buffer,
		relay:  opts.Relay,
		ring:   make([]Event, 0, opts.History),
		subs:   make(map[*subscriber]struct{}),
	}
	if us := opts.Now().UnixMicro(); us > 0 {
		b.lastID = uint64(us)
	}
	return b
}

// Publish marshals data to JSON (a json.RawMessage is used as is), assigns the next ID,
// keeps the event for resume and hands it to every subscriber without waiting. It returns the
// event; on a marshalling error nothing is published and the zero Event is returned.
func (b *Bus) Publish(kind string, data any) Event {
	raw, ok := data.(json.RawMessage)
	if !ok || !json.Valid(raw) {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			b.log.Error("notify: event not published", "kind", kind, "err", err)
			return Event{}
		}
	}
	ev := b.publish(kind, raw)
	if b.relay != nil {
		b.relay(kind, raw)
	}
	return ev
}

// Deliver publishes an event another instance published (relayed to this one), without
// relaying it again.
func (b *Bus) Deliver(kind string, data json.RawMessage) Event {
	if !json.Valid(data) {
		b.log.Error("notify: relayed event is not JSON; dropped", "kind", kind)
		return Event{}
	}
	return b.publish(kind, data)
}

func (b *Bus) publish(kind string, raw json.RawMessage) Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastID++
	ev := Event{ID: b.lastID, Kind: kind, Time: b.now().UTC(), Data: raw}
	if len(b.ring) < cap(b.ring) {
		b.ring = append(b.ring, ev)
	} else {
		b.ring[b.start] = ev
		b.start = (b.start + 1) % len(b.ring)
	}
	for s := range b.subs {
		e := ev
		e.Dropped = s.dropped
		select {
		case s.ch <- e:
			s.dropped = 0
		default:
			s.dropped++
		}
	}
	return ev
}

// Subscribe returns the kept events with ID > afterID, oldest first, then a channel of the
// events published from now on (no gap, no duplicate between the two) and a cancel function
// that unsubscribes and closes the channel (idempotent). Use LastID() as afterID to get only
// new events. If events[0].ID > afterID+1, the ones in between are no longer kept. The
// channel is closed by cancel or Close.
func (b *Bus) Subscribe(afterID uint64) (events []Event, ch <-chan Event, cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.ring)
	if n > 0 {
		first := b.lastID - uint64(n) + 1
		skip := 0
		if afterID >= first {
			skip = int(min(afterID-first+1, uint64(n)))
		}
		if skip < n {
			events = make([]Event, 0, n-skip)
			for i := skip; i < n; i++ {
				events = append(events, b.ring[(b.start+i)%n])
			}
		}
	}
	s := &subscriber{ch: make(chan Event, b.buffer)}
	if b.closed {
		close(s.ch)
		return events, s.ch, func() {}
	}
	b.subs[s] = struct{}{}
	var once sync.Once
	cancel = func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if _, ok := b.subs[s]; ok {
				delete(b.subs, s)
				close(s.ch)
			}
		})
	}
	return events, s.ch, cancel
}

// LastID is the ID of the last published event (the seed if none was).
func (b *Bus) LastID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastID
}

// Subscribers is the number of live subscriptions.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close closes every subscriber's channel (so SSE handlers end on shutdown); later
// subscriptions get a closed channel. Publish keeps working for resume.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.ch)
	}
}
