package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/store"
	"github.com/conduit-gw/conduit/internal/usage"
)

func testOptions(t *testing.T) Options {
	t.Helper()
	return Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), SecretsMode: "file", MasterKey: "test-master-key",
		Mode: "headless", Version: "test", NoShedding: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stderr: io.Discard,
	}
}

func countLogs(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "conduit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return counts["request_logs"]
}

// TestCloseOrder: a background loop still working after Close has begun finds the usage
// writer accepting and the database open; its record is flushed before the database closes.
// Were the loops not waited for, the writer would refuse the record or the database would be
// closed under it.
func TestCloseOrder(t *testing.T) {
	o := testOptions(t)
	rt, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var accepted, returned atomic.Bool
	pingErr := make(chan error, 1)
	stopped := make(chan struct{})
	rt.Go(func(ctx context.Context) {
		<-ctx.Done()
		close(stopped)
		// Work a loop may still do after being told to stop: the rest of a batch.
		time.Sleep(50 * time.Millisecond)
		accepted.Store(rt.Usage.Enqueue(usage.Record{ID: "req_last", Time: time.Now(), Endpoint: "/v1/chat/completions", Status: 200}))
		pingErr <- rt.DB.Ping(context.Background())
		returned.Store(true)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	<-stopped
	if !returned.Load() {
		t.Fatal("Close returned before the background loop did")
	}
	if !accepted.Load() {
		t.Fatal("the usage writer was closed before the background loop returned")
	}
	if err := <-pingErr; err != nil {
		t.Fatalf("the database was closed before the background loop returned: %v", err)
	}
	if got := rt.Usage.Written(); got != 1 {
		t.Fatalf("usage rows written = %d, want 1", got)
	}
	if n := countLogs(t, o.DataDir); n != 1 {
		t.Fatalf("%d request logs after Close, want 1", n)
	}
}

// TestCloseBounded: a loop that ignores its context makes Close report it instead of hanging;
// the usage writer is flushed and the database closed all the same.
func TestCloseBounded(t *testing.T) {
	o := testOptions(t)
	rt, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	rt.Go(func(context.Context) { <-release })
	rt.Usage.Enqueue(usage.Record{ID: "req_one", Time: time.Now(), Endpoint: "/v1/embeddings", Status: 200})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := rt.Close(ctx); err == nil || !strings.Contains(err.Error(), "background loops did not stop") {
		t.Fatalf("Close = %v, want the stuck loop reported", err)
	}
	if err := rt.DB.Ping(context.Background()); err == nil {
		t.Fatal("database still open after Close")
	}
}

// TestServeStopsInOrder: Serve answers until its context ends, then stops and leaves every
// usage record in the database.
func TestServeStopsInOrder(t *testing.T) {
	o := testOptions(t)
	urls := make(chan string, 1)
	o.Started = func(u string) { urls <- u }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rt *Runtime
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, o, func(r *Runtime) http.Handler {
			rt = r
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				r.Usage.Enqueue(usage.Record{ID: ids.New("req"), Time: time.Now(), Endpoint: "/v1/chat/completions", Status: 200})
				w.WriteHeader(http.StatusNoContent)
			})
		})
	}()
	url := <-urls
	const n = 5
	for i := 0; i < n; i++ {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if got := rt.Usage.Written(); got != n {
		t.Fatalf("usage rows written = %d, want %d", got, n)
	}
	if c := countLogs(t, o.DataDir); c != n {
		t.Fatalf("%d request logs after Serve returned, want %d", c, n)
	}
}

func TestStartupErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "conduit.db"), bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr, dir, want string
	}{
		{"port in use", busy.Addr().String(), t.TempDir(), "already in use"},
		{"corrupt db", "127.0.0.1:0", corrupt, "not a"},
		{"data dir below a file", "127.0.0.1:0", filepath.Join(file, "sub"), "data directory"},
		{"no data dir", "127.0.0.1:0", "", "no data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t)
			o.Addr, o.DataDir = tt.addr, tt.dir
			_, err := Start(context.Background(), o, func(*Runtime) http.Handler { return http.NotFoundHandler() })
			var se *StartupError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Start = %v, want a one-line StartupError containing %q", err, tt.want)
			}
		})
	}
}
