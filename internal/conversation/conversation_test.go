package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/conduit-gw/conduit/internal/store"
)

type memStore struct {
	mu   sync.Mutex
	rows map[string]store.StoredResponse
	puts int
}

func (m *memStore) PutResponses(_ context.Context, rs []store.StoredResponse) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rs {
		m.rows[r.ID] = r
	}
	m.puts++
	return nil
}

func (m *memStore) GetResponse(_ context.Context, id string) (store.StoredResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[id]
	if !ok {
		return r, fmt.Errorf("get: %w", store.ErrNotFound)
	}
	return r, nil
}

func (m *memStore) DeleteResponse(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rows[id]; !ok {
		return store.ErrNotFound
	}
	delete(m.rows, id)
	return nil
}

func items(s ...string) []json.RawMessage {
	var out []json.RawMessage
	for _, x := range s {
		out = append(out, json.RawMessage(`"`+x+`"`))
	}
	return out
}

// output reads the test's response objects: {"output":[...]}.
func output(b []byte) ([]json.RawMessage, error) {
	var v struct{ Output []json.RawMessage }
	err := json.Unmarshal(b, &v)
	return v.Output, err
}

func TestService(t *testing.T) {
	ctx := t.Context()
	st := &memStore{rows: map[string]store.StoredResponse{}}
	s := New(st, nil)
	s.Save(Record{ID: "r1", KeyID: "k1", Input: items("in1"), Response: []byte(`{"output":["out1"]}`)})
	// Readable at once, before the writer ran.
	if r, err := s.Get(ctx, "k1", "r1"); err != nil || string(r.Input[0]) != `"in1"` {
		t.Fatalf("pending: %v %v", r, err)
	}
	if _, err := s.Get(ctx, "k2", "r1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another key: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	go s.Run(runCtx)
	s.Save(Record{ID: "r2", KeyID: "k1", PreviousID: "r1", Input: items("in2a", "in2b"), Response: []byte(`{"output":["out2"]}`)})
	s.Save(Record{ID: "r3", KeyID: "k1", PreviousID: "r2", Input: items("in3"), Response: []byte(`{"output":[]}`)})
	s.Save(Record{ID: "gone", KeyID: "k1", Response: []byte(`{}`)})
	if err := s.Delete(ctx, "k1", "gone"); err != nil {
		t.Fatal(err)
	}
	stop()
	s.Close()
	if len(st.rows) != 3 {
		t.Fatalf("stored %d rows: %v", len(st.rows), st.rows)
	}
	h, err := s.History(ctx, "k1", "r3", output)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(h)
	if string(got) != `["in1","out1","in2a","in2b","out2","in3"]` {
		t.Errorf("history %s", got)
	}
	if _, err := s.History(ctx, "k2", "r3", output); !errors.Is(err, ErrNotFound) {
		t.Errorf("another key's history: %v", err)
	}
	// A pruned earlier turn: the conversation continues from what is left.
	delete(st.rows, "r1")
	h, _ = s.History(ctx, "k1", "r3", output)
	if got, _ := json.Marshal(h); string(got) != `["in2a","in2b","out2","in3"]` {
		t.Errorf("history after prune %s", got)
	}
	if err := s.Delete(ctx, "k2", "r2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another key deleted: %v", err)
	}
	if err := s.Delete(ctx, "k1", "r2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k1", "r2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted: %v", err)
	}
}

// TestBatches: queued records are written maxBatch to a transaction, not one by one.
func TestBatches(t *testing.T) {
	st := &memStore{rows: map[string]store.StoredResponse{}}
	s := New(st, nil)
	const n = maxBatch + maxBatch/4
	for i := range n {
		s.Save(Record{ID: fmt.Sprint("r", i), KeyID: "k", Input: items("in"), Response: []byte(`{"output":[]}`)})
	}
	go s.Run(t.Context())
	s.Close()
	if len(st.rows) != n {
		t.Fatalf("stored %d of %d", len(st.rows), n)
	}
	// One full batch, the rest at Close (or at a flush tick in between).
	if st.puts > 3 {
		t.Errorf("%d records written in %d transactions", n, st.puts)
	}
	if got := st.rows["r7"].Input; got != `["in"]` {
		t.Errorf("stored input %s", got)
	}
}

// TestQueueBounds: a record saved after Run ended with its context is still written at Close;
// past maxQueued waiting records, and after Close, a record is dropped (and not served).
func TestQueueBounds(t *testing.T) {
	st := &memStore{rows: map[string]store.StoredResponse{}}
	s := New(st, nil)
	ctx, stop := context.WithCancel(t.Context())
	stop()
	s.Run(ctx) // ends at once: its context is done
	for i := range maxQueued + 1 {
		s.Save(Record{ID: fmt.Sprint("r", i), KeyID: "k", Response: []byte(`{"output":[]}`)})
	}
	if _, err := s.Get(t.Context(), "k", fmt.Sprint("r", maxQueued)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a record past a full queue: %v", err)
	}
	s.Close()
	s.Save(Record{ID: "late", KeyID: "k", Response: []byte(`{"output":[]}`)})
	if len(st.rows) != maxQueued {
		t.Errorf("stored %d, want %d", len(st.rows), maxQueued)
	}
	for _, id := range []string{fmt.Sprint("r", maxQueued), "late"} {
		if _, ok := st.rows[id]; ok {
			t.Errorf("%s stored", id)
		}
	}
	if _, err := s.Get(t.Context(), "k", "late"); !errors.Is(err, ErrNotFound) {
		t.Errorf("saved after Close: %v", err)
	}
}
