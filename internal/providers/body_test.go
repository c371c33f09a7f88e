package providers

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"
)

// TestCloseStream checks which closes of an event stream's body keep its connection for the
// next request: the server counts the connections it accepts.
func TestCloseStream(t *testing.T) {
	const done = "data: [DONE]\n\n"
	tests := []struct {
		name  string
		ended bool
		// tail is what the server does after it flushed [DONE], once the client has read it.
		tail      func(w http.ResponseWriter, r *http.Request)
		wantConns int64
	}{
		// The end of the body comes after the client read [DONE]: closing waits for it, and
		// the connection serves the next request.
		{name: "ended_late_end", ended: true, tail: func(http.ResponseWriter, *http.Request) {}, wantConns: 1},
		// A stream that did not reach its end is closed at once, connection and all.
		{name: "not_ended", ended: false, tail: func(http.ResponseWriter, *http.Request) {}, wantConns: 2},
		// More after [DONE] than is worth reading: closed after endDrainMax bytes.
		{name: "ended_long_tail", ended: true, tail: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, ": "+strings.Repeat("x", 4*endDrainMax)+"\n\n")
		}, wantConns: 2},
		// The body stays open: closed once the wait is over.
		{name: "ended_never_ends", ended: true, tail: func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, wantConns: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proceed := make(chan struct{})
			srv := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, "data: {\"n\":1}\n\n"+done)
				w.(http.Flusher).Flush()
				if r.URL.Path == "/first" {
					<-proceed
					tt.tail(w, r)
				}
			})
			client := srv.Client()

			body := get(t, client, srv.URL+"/first")
			br := bufio.NewReader(body)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reading the stream: %v", err)
				}
				if line == "data: [DONE]\n" {
					break
				}
			}
			closed := make(chan error, 1)
			go func() { closed <- closeStream(body, tt.ended, 50*time.Millisecond) }()
			close(proceed)
			select {
			case err := <-closed:
				if err != nil {
					t.Fatalf("close: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("closeStream did not return")
			}

			next := get(t, client, srv.URL+"/second")
			b, err := io.ReadAll(next)
			next.Close()
			if err != nil || !bytes.HasSuffix(b, []byte(done)) {
				t.Fatalf("second request: %q, %v", b, err)
			}
			if got := srv.Conns(); got != tt.wantConns {
				t.Errorf("the server accepted %d connections for the two requests, want %d", got, tt.wantConns)
			}
		})
	}
}

func get(t *testing.T, c *http.Client, u string) io.ReadCloser {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return resp.Body
}
