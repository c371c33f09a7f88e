// Package conversation keeps Responses API responses so that a later request continues a
// conversation by previous_response_id: writes are queued and stored in batches off the
// request path (a response not yet written is served from memory), reads are scoped to the
// key that created the response.
package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/store"
)

// Store is the persistence the service needs.
type Store interface {
	PutResponses(ctx context.Context, rs []store.StoredResponse) error
	GetResponse(ctx context.Context, id string) (store.StoredResponse, error)
	DeleteResponse(ctx context.Context, id string) error
}

// ErrNotFound is returned for a response that does not exist or belongs to another key.
var ErrNotFound = errors.New("conversation: response not found")

// maxHops bounds how far back a conversation is followed.
const maxHops = 1000

// Records are written in one transaction per flushInterval, or per maxBatch records when
// more are queued, like the usage log. At most maxQueued wait for their write.
const (
	flushInterval = 200 * time.Millisecond
	maxBatch      = 256
	maxQueued     = 4096
)

// Record is one response to keep.
type Record struct {
	ID         string
	KeyID      string
	PreviousID string
	Model      string
	CreatedAt  time.Time
	Input      []json.RawMessage // the request's input items
	Response   []byte            // the response object
}

// Service queues and serves records. Start Run before use; Close flushes.
//
// A saved record joins the queue under the lock, and the writer takes the queue whole at
// its next flush: a Save wakes the writer only when it fills a batch, not once a record.
type Service struct {
	st  Store
	log *slog.Logger

	mu      sync.Mutex
	queue   []*Record          // saved, not yet taken by the writer
	spare   []*Record          // the queue's other backing array, swapped in at each take
	pending map[string]*Record // queued or being written, not yet written
	deleted map[string]bool    // deleted while still pending
	closed  bool

	full chan struct{} // a batch is queued (capacity 1)
	stop chan struct{} // closed by Close
	done chan struct{}
}

// New returns a service writing to st.
func New(st Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, log: log, pending: map[string]*Record{}, deleted: map[string]bool{},
		full: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Save queues r for storage without waiting. When the queue is full, or after Close, the
// record is dropped and logged: a request never waits on the database.
func (s *Service) Save(r Record) {
	rec := &r
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		s.log.Warn("conversation: closed; response not stored", "id", r.ID)
		return
	case len(s.queue) >= maxQueued:
		s.log.Warn("conversation: queue full; response not stored", "id", r.ID)
		return
	}
	s.queue = append(s.queue, rec)
	s.pending[r.ID] = rec
	delete(s.deleted, r.ID)
	if len(s.queue) == maxBatch {
		select {
		case s.full <- struct{}{}:
		default: // the writer has been told already
		}
	}
}

// Run writes queued records in batches, every flushInterval or as soon as maxBatch are
// queued, until ctx ends or Close is called, then writes what is left. A record waiting for
// its batch is served from memory.
func (s *Service) Run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.full:
		case <-ctx.Done():
			s.flush()
			return
		case <-s.stop:
			s.flush()
			return
		}
		s.flush()
	}
}

// Close stops accepting and waits until every queued record is written; Run must have been
// started. Saves after Close are dropped.
func (s *Service) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	<-s.done
	s.flush() // saved after Run ended with its context
}

// flush writes the queue, maxBatch records to a transaction. Only one goroutine flushes at a
// time: Run, or Close once Run has returned.
func (s *Service) flush() {
	s.mu.Lock()
	q := s.queue
	s.queue, s.spare = s.spare, nil
	s.mu.Unlock()
	for rest := q; len(rest) > 0; {
		n := min(len(rest), maxBatch)
		s.write(rest[:n])
		rest = rest[n:]
	}
	clear(q) // the records are written: the array keeps none of them
	s.mu.Lock()
	s.spare = q[:0]
	s.mu.Unlock()
}

func (s *Service) write(rs []*Record) {
	if len(rs) == 0 {
		return
	}
	rows := make([]store.StoredResponse, 0, len(rs))
	s.mu.Lock()
	for _, r := range rs {
		if s.deleted[r.ID] {
			delete(s.deleted, r.ID)
			continue
		}
		rows = append(rows, store.StoredResponse{ID: r.ID, KeyID: r.KeyID, PreviousID: r.PreviousID, Model: r.Model,
			CreatedAt: r.CreatedAt, Input: jsonArray(r.Input), Response: string(r.Response)})
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.st.PutResponses(ctx, rows); err != nil {
		s.log.Error("conversation: store responses", "err", err, "count", len(rows))
	}
	s.mu.Lock()
	for _, r := range rs {
		if s.pending[r.ID] == r {
			delete(s.pending, r.ID)
		}
	}
	s.mu.Unlock()
}

// jsonArray joins JSON values into one array.
func jsonArray(items []json.RawMessage) string {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	return b.String()
}

// Get returns the record of id if keyID created it.
func (s *Service) Get(ctx context.Context, keyID, id string) (*Record, error) {
	s.mu.Lock()
	r, ok := s.pending[id]
	s.mu.Unlock()
	if !ok {
		row, err := s.st.GetResponse(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("conversation: get %s: %w", id, err)
		}
		r = &Record{ID: row.ID, KeyID: row.KeyID, PreviousID: row.PreviousID, Model: row.Model,
			CreatedAt: row.CreatedAt, Response: []byte(row.Response)}
		if err := json.Unmarshal([]byte(row.Input), &r.Input); err != nil {
			return nil, fmt.Errorf("conversation: stored input of %s: %w", id, err)
		}
	}
	if r.KeyID != keyID {
		return nil, ErrNotFound
	}
	return r, nil
}

// Delete removes the record of id if keyID created it.
func (s *Service) Delete(ctx context.Context, keyID, id string) error {
	if _, err := s.Get(ctx, keyID, id); err != nil {
		return err
	}
	s.mu.Lock()
	if _, ok := s.pending[id]; ok {
		delete(s.pending, id)
		s.deleted[id] = true
	}
	s.mu.Unlock()
	if err := s.st.DeleteResponse(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("conversation: delete %s: %w", id, err)
	}
	return nil
}

// History returns the items of the conversation up to and including response id, oldest
// first: for each response, its input items then its output items. output reads a stored
// response object's output items.
func (s *Service) History(ctx context.Context, keyID, id string, output func([]byte) ([]json.RawMessage, error)) ([]json.RawMessage, error) {
	var chain []*Record
	for next := id; next != "" && len(chain) < maxHops; {
		r, err := s.Get(ctx, keyID, next)
		if err != nil {
			if len(chain) > 0 && errors.Is(err, ErrNotFound) {
				break // an earlier turn was pruned or deleted: continue from what is left
			}
			return nil, err
		}
		chain = append(chain, r)
		next = r.PreviousID
	}
	var items []json.RawMessage
	for i := len(chain) - 1; i >= 0; i-- {
		items = append(items, chain[i].Input...)
		out, err := output(chain[i].Response)
		if err != nil {
			return nil, fmt.Errorf("conversation: stored response %s: %w", chain[i].ID, err)
		}
		items = append(items, out...)
	}
	return items, nil
}
