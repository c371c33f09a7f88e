package keys

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
)

// store is a key table and the configuration loaded from it.
type store struct {
	mu      sync.Mutex
	stored  map[string]bool   // hash hex → stored
	loaded  map[[32]byte]bool // in the configuration
	lookups atomic.Int64      // Known calls
	reloads atomic.Int64      // Reload calls
	gate    chan struct{}     // when set, Known waits for it
	fail    error             // Known's error
}

func (s *store) known(ctx context.Context, h string) (bool, error) {
	s.lookups.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored[h], s.fail
}

func (s *store) reload(context.Context) error {
	s.reloads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	for h := range s.stored {
		b, _ := hex.DecodeString(h)
		s.loaded[[32]byte(b)] = true
	}
	return nil
}

func (s *store) has(h [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loaded[h]
}

func newRecheck(s *store, clk *fakeclock.Clock) *Recheck {
	return &Recheck{Known: s.known, Reload: s.reload, Has: s.has, Limit: 3, Window: time.Second, Now: clk.Now}
}

func TestRecheck(t *testing.T) {
	created, bad := Hash("condt_created-elsewhere"), Hash("condt_never-created")
	tests := []struct {
		name        string
		key         [32]byte
		fail        error
		want        bool
		wantReloads int64
	}{
		{"a key created on another instance is found and loaded", created, nil, true, 1},
		{"an unknown key is refused without a reload", bad, nil, false, 0},
		{"a failing store refuses", created, errors.New("database down"), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &store{stored: map[string]bool{hex.EncodeToString(created[:]): true},
				loaded: map[[32]byte]bool{}, fail: tt.fail}
			r := newRecheck(s, fakeclock.New(time.Unix(0, 0)))
			if got := r.Lookup(t.Context(), tt.key); got != tt.want {
				t.Fatalf("Lookup = %v, want %v", got, tt.want)
			}
			if s.lookups.Load() != 1 || s.reloads.Load() != tt.wantReloads {
				t.Fatalf("%d lookups, %d reloads; want 1, %d", s.lookups.Load(), s.reloads.Load(), tt.wantReloads)
			}
		})
	}
}

// TestRecheckBounded: concurrent requests with one key share one lookup; lookups beyond the
// limit in a window are refused without touching the store, until the next window.
func TestRecheckBounded(t *testing.T) {
	created := Hash("condt_created")
	s := &store{stored: map[string]bool{hex.EncodeToString(created[:]): true}, loaded: map[[32]byte]bool{},
		gate: make(chan struct{})}
	clk := fakeclock.New(time.Unix(0, 0))
	r := newRecheck(s, clk)
	r.Limit = 1
	var (
		wg    sync.WaitGroup
		found atomic.Int64
	)
	for range 20 {
		wg.Go(func() {
			if r.Lookup(t.Context(), created) {
				found.Add(1)
			}
		})
	}
	for s.lookups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(s.gate)
	wg.Wait()
	if n, f := s.lookups.Load(), found.Load(); n != 1 || f != 20 {
		t.Fatalf("20 concurrent requests with a new key: %d lookups, %d found; want 1 and 20", n, f)
	}
	clk.Advance(time.Second)
	for i := range 3 { // a new window: one lookup allowed
		if r.Lookup(t.Context(), Hash("condt_bad"+string(rune('a'+i)))) {
			t.Fatal("an unknown key was found")
		}
	}
	if n := s.lookups.Load(); n != 2 {
		t.Fatalf("%d lookups after three unknown keys in one window, want 2 (1 + the limit of 1)", n)
	}
	clk.Advance(time.Second)
	r.Lookup(t.Context(), Hash("condt_next-window"))
	if n := s.lookups.Load(); n != 3 {
		t.Fatalf("%d lookups after the window passed, want 3", n)
	}
}

// TestRecheckCallerGone: a caller whose request ended stops waiting; the lookup goes on for
// the others.
func TestRecheckCallerGone(t *testing.T) {
	created := Hash("condt_created")
	s := &store{stored: map[string]bool{hex.EncodeToString(created[:]): true}, loaded: map[[32]byte]bool{},
		gate: make(chan struct{})}
	r := newRecheck(s, fakeclock.New(time.Unix(0, 0)))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan bool)
	go func() { done <- r.Lookup(ctx, created) }()
	for s.lookups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	other := make(chan bool)
	go func() { other <- r.Lookup(t.Context(), created) }()
	cancel()
	if <-done {
		t.Fatal("a caller that went away was told the key is known")
	}
	close(s.gate)
	if !<-other {
		t.Fatal("the lookup did not go on for the caller still waiting")
	}
}
