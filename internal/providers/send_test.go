package providers

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

// restartingServer answers the first request on each connection with keep-alive, then closes
// the connection when the next request arrives on it, without answering: what a pooled
// connection looks like after the upstream restarted.
func restartingServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				req, err := http.ReadRequest(r)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				body := "ok"
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"+body)
				// Read the next request, then hang up without a byte of answer.
				if req, err := http.ReadRequest(r); err == nil {
					_, _ = io.Copy(io.Discard, req.Body)
				}
			}(c)
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestSendRetriesStalePooledConnection(t *testing.T) {
	url := restartingServer(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	post := func() (*http.Response, error) {
		req, _ := http.NewRequest("POST", url, bytes.NewReader([]byte(`{"model":"m"}`)))
		return Send(client, req)
	}
	for i := 0; i < 5; i++ { // every request after the first reuses a connection the server drops
		resp, err := post()
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("request %d: body %q", i, b)
		}
	}
	// Without Send, plain Do surfaces the dead connection as an error at least sometimes.
	failures := 0
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", url, strings.NewReader(`{}`))
		resp, err := client.Do(req)
		if err != nil {
			failures++
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	t.Logf("plain Do failed %d of 5 times on stale connections", failures)
}

func TestReadBody(t *testing.T) {
	body := strings.Repeat("x", 1000)
	tests := []struct {
		name   string
		length int64
		limit  int64
		want   int
	}{
		{"known length", 1000, 1 << 20, 1000},
		{"unknown length", -1, 1 << 20, 1000},
		{"over the limit", 1000, 100, 100},
		{"length understated", 10, 1 << 20, 1000},
		{"length overstated", 5000, 1 << 20, 1000},
	}
	for _, tt := range tests {
		resp := &http.Response{Body: io.NopCloser(strings.NewReader(body)), ContentLength: tt.length}
		got, err := ReadBody(resp, tt.limit)
		if err != nil || string(got) != body[:tt.want] {
			t.Errorf("%s: %d bytes, %v; want %d", tt.name, len(got), err, tt.want)
		}
	}
}

func TestReadSizedAllocatesOnce(t *testing.T) {
	body := strings.Repeat("y", 10000)
	rd := strings.NewReader(body)
	allocs := testing.AllocsPerRun(20, func() {
		rd.Reset(body)
		b, err := ReadSized(rd, int64(len(body)))
		if err != nil || string(b) != body || cap(b) > len(body)+1 {
			t.Fatalf("%d bytes (cap %d), %v", len(b), cap(b), err)
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations, want 1", allocs)
	}
}

func TestSendMarksWithoutSendingAKey(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	for _, own := range []string{"", "client-key-1"} {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader([]byte(`{}`)))
		if own != "" {
			req.Header.Set("Idempotency-Key", own)
		}
		resp, err := Send(srv.Client(), req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if v, ok := got["X-Idempotency-Key"]; ok {
			t.Errorf("own key %q: upstream got X-Idempotency-Key %q", own, v)
		}
		if got.Get("Idempotency-Key") != own {
			t.Errorf("upstream got Idempotency-Key %q, want %q", got.Get("Idempotency-Key"), own)
		}
	}
}

func TestSendFollowsRedirectsLikeTheClient(t *testing.T) {
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits = append(hits, r.Method+" "+r.URL.Path+" "+string(b))
		if r.URL.Path == "/v1/chat/completions/" {
			http.Redirect(w, r, "/v1/chat/completions", http.StatusTemporaryRedirect)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	client := &http.Client{Transport: srv.Client().Transport}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions/", bytes.NewReader([]byte(`{"model":"m"}`)))
	resp, err := Send(client, req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := []string{`POST /v1/chat/completions/ {"model":"m"}`, `POST /v1/chat/completions {"model":"m"}`}
	if string(b) != "ok" || strings.Join(hits, "\n") != strings.Join(want, "\n") {
		t.Fatalf("body %q after %q", b, hits)
	}
}

func TestSendErrorNamesTheRequestLikeTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String() + "/v1/chat/completions"
	ln.Close() // nothing listens there now
	req, _ := http.NewRequest("POST", addr, bytes.NewReader([]byte(`{}`)))
	_, err = Send(&http.Client{Transport: &http.Transport{}}, req)
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Op != "Post" || ue.URL != addr || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%#v", err)
	}
}

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream": true, "text/event-stream; charset=utf-8": true, "text/event-stream;charset=utf-8": true,
		"application/json": false, "text/event-streams": false, "": false, "Text/Event-Stream": false, // the last is read by ParseMediaType
	} {
		if got := isEventStream(ct); got != want {
			t.Errorf("isEventStream(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestNewRequestBodyReplays(t *testing.T) {
	h := &HTTP{Name: "x"}
	req, err := h.NewRequest(t.Context(), http.MethodPost, "http://127.0.0.1:1/v1/chat/completions", []byte(`{"a":1}`))
	if err != nil || req.GetBody == nil || req.ContentLength != 7 {
		t.Fatalf("%v, GetBody set %v, length %d", err, req.GetBody != nil, req.ContentLength)
	}
	for range 2 {
		r, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(r); string(b) != `{"a":1}` {
			t.Fatalf("replayed %q", b)
		}
	}
}
