package respcache

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/store"
	"github.com/conduit-gw/conduit/internal/testsvc"
)

func TestMain(m *testing.M) { os.Exit(testsvc.Main(m)) }

func TestKey(t *testing.T) {
	base := Request{API: "chat", Alias: "gpt", Scope: "key_1",
		Body: []byte(`{"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0}`)}
	k0, err := Key(base)
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(*Request)) Request { r := base; f(&r); return r }
	body := func(b string) func(*Request) { return func(r *Request) { r.Body = []byte(b) } }
	for _, tc := range []struct {
		name string
		r    Request
		same bool
	}{
		{"user, stream flag, metadata, order and spacing ignored", with(body(`{ "temperature": 0.0, "user":"u1", "stream":false,
			"metadata":{"a":"b"}, "messages":[{"content":"hi","role":"user"}], "model":"gpt"}`)), true},
		{"other message", with(body(`{"model":"gpt","messages":[{"role":"user","content":"ho"}],"temperature":0}`)), false},
		{"other parameter", with(body(`{"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":5}`)), false},
		{"tools", with(body(`{"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0,"tools":[{"type":"function","function":{"name":"f"}}]}`)), false},
		{"other key", with(func(r *Request) { r.Scope = "key_2" }), false},
		{"shared", with(func(r *Request) { r.Scope = "" }), false},
		{"other alias", with(func(r *Request) { r.Alias = "gpt2" }), false},
		{"other API", with(func(r *Request) { r.API = "messages" }), false},
		{"streamed answers apart", with(func(r *Request) { r.Stream = true }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Key(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if (k == k0) != tc.same {
				t.Errorf("same key = %v, want %v", k == k0, tc.same)
			}
		})
	}
	if _, err := Key(with(body(`[1]`))); err == nil {
		t.Error("a body that is not an object has a key")
	}
}

func TestDeterministic(t *testing.T) {
	for body, want := range map[string]bool{
		`{"temperature":0}`:   true,
		`{"temperature":0.0}`: true,
		`{"temperature":0.7}`: false,
		`{}`:                  false, // the provider's default
		`{"temperature":"0"}`: false,
	} {
		if got := Deterministic([]byte(body)); got != want {
			t.Errorf("Deterministic(%s) = %v, want %v", body, got, want)
		}
	}
}

func sample() *Entry {
	return &Entry{Stream: true, Native: true, Chunks: [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)},
		Provider: "p", Fallback: "f", ProviderID: "prov_1", ProviderModel: "m", PromptTokens: 12,
		CompletionTokens: 34, Cost: 0.0125}
}

func TestEntryRoundTrip(t *testing.T) {
	for _, e := range []*Entry{sample(), {Body: []byte(`{"x":true}`), Cost: 1}} {
		b := e.Marshal()
		got, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Marshal(), b) {
			t.Errorf("round trip changed the entry: %+v", got)
		}
		if _, err := Unmarshal(b[:len(b)-1]); err == nil {
			t.Error("a truncated entry decoded")
		}
	}
	if _, err := Unmarshal([]byte{9, 0}); err == nil {
		t.Error("an unknown version decoded")
	}
}

func TestMemoryTTL(t *testing.T) {
	ctx := context.Background()
	clock := fakeclock.New(time.Unix(1000, 0))
	m := NewMemory(1<<20, clock.Now)
	m.Set(ctx, "k", sample(), time.Minute)
	clock.Advance(59 * time.Second)
	if e, _ := m.Get(ctx, "k"); e == nil {
		t.Fatal("entry gone before its TTL")
	}
	clock.Advance(time.Second)
	if e, _ := m.Get(ctx, "k"); e != nil {
		t.Fatal("entry served at its TTL")
	}
	if m.Len() != 0 {
		t.Errorf("expired entry kept: %d entries", m.Len())
	}
}

func TestMemoryLRU(t *testing.T) {
	ctx := context.Background()
	e := sample()
	size := e.Size() + len("k0")
	m := NewMemory(3*size, nil)
	var evicted []string
	m.evicted = func(k string) { evicted = append(evicted, k) }
	for _, k := range []string{"k0", "k1", "k2"} {
		m.Set(ctx, k, e, time.Hour)
	}
	if got, _ := m.Get(ctx, "k0"); got == nil { // k0 is now the most recently used
		t.Fatal("k0 missing")
	}
	m.Set(ctx, "k3", e, time.Hour)
	if m.Len() != 3 {
		t.Errorf("%d entries, want the bound of 3", m.Len())
	}
	if got, _ := m.Get(ctx, "k1"); got != nil {
		t.Error("the least recently used entry was kept")
	}
	for _, k := range []string{"k0", "k2", "k3"} {
		if got, _ := m.Get(ctx, k); got == nil {
			t.Errorf("%s evicted", k)
		}
	}
	if len(evicted) != 1 || evicted[0] != "k1" {
		t.Errorf("evicted %v, want [k1]", evicted)
	}
	m.Set(ctx, "huge", &Entry{Body: make([]byte, 4*size)}, time.Hour)
	if got, _ := m.Get(ctx, "huge"); got != nil || m.Len() != 3 {
		t.Error("an entry larger than the store was kept")
	}
}

func openDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// runLocal runs l's writer until the returned stop is called; stop returns once the queue
// is flushed.
func runLocal(l *Local) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func TestLocalPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conduit.db")
	db := openDB(t, path)
	clock := fakeclock.New(time.Now())
	e := sample()
	size := e.Size() + 64
	l, err := OpenLocal(ctx, db, LocalOptions{MaxBytes: 2 * size, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	stop := runLocal(l)
	l.Set(ctx, "a", e, time.Hour)
	l.Set(ctx, "b", e, time.Minute)
	l.Set(ctx, "c", e, time.Hour) // evicts a
	stop()
	db.Close()

	clock.Advance(2 * time.Minute) // b expired
	db = openDB(t, path)
	defer db.Close()
	l, err = OpenLocal(ctx, db, LocalOptions{MaxBytes: 2 * size, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := l.Get(ctx, "c")
	if got == nil || !bytes.Equal(got.Marshal(), e.Marshal()) {
		t.Fatalf("after a restart c = %+v, want the stored entry", got)
	}
	for _, k := range []string{"a", "b"} {
		if got, _ := l.Get(ctx, k); got != nil {
			t.Errorf("%s is back after a restart (evicted or expired)", k)
		}
	}
}

func TestRedis(t *testing.T) {
	srv := testsvc.StartRedis(t)
	ctx := context.Background()
	c := redisClient(t, srv.Addr)
	r := NewRedis(c, RedisOptions{Prefix: "t:"})
	stop := make(chan struct{})
	rctx, cancel := context.WithCancel(ctx)
	go func() { r.Run(rctx); close(stop) }()

	if got, err := r.Get(ctx, "k"); got != nil || err != nil {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	e := sample()
	r.Set(ctx, "k", e, time.Minute)
	cancel()
	<-stop // the queue is flushed
	got, err := r.Get(ctx, "k")
	if err != nil || got == nil || !bytes.Equal(got.Marshal(), e.Marshal()) {
		t.Fatalf("Get = %+v, %v; want the entry", got, err)
	}
	if ttl := c.PTTL(ctx, "t:k").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("Redis TTL %v, want (0, 1m]", ttl)
	}

	srv.Stop()
	if _, err := r.Get(ctx, "k"); err == nil {
		t.Error("a lookup on a stopped Redis reported no error")
	}
}
