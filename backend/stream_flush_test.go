package backend

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Every chunk reaches the client as soon as Conduit has it, even while the upstream then goes
// quiet (no chunk is held back to be written with the next one), and chunks that arrive
// together all get through.
func TestStreamChunksReachTheClientAtOnce(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	chunk := func(i int, text string) string {
		return fmt.Sprintf(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":%q}}]}`+"\n\n", text)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		// Two chunks in one write, then silence until the test has seen both.
		fmt.Fprint(w, chunk(0, "one ")+chunk(1, "two "))
		fl.Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		fmt.Fprint(w, chunk(2, "three"))
		fmt.Fprint(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}`+"\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer up.Close()
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{
		"name": "slow", "type": "openai", "base_url": up.URL + "/v1", "api_key": "sk-x"})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "slow", "provider_id": p["id"], "provider_model": "m"})
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "k"})["key"].(string)

	body, _ := json.Marshal(map[string]any{"model": "slow", "stream": true,
		"messages": []map[string]any{{"role": "user", "content": "hi"}}})
	req, _ := http.NewRequest("POST", e.url+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	lines := make(chan string)
	go func() { // the headers too must come before the upstream's silence ends
		defer close(lines)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") {
				lines <- strings.TrimPrefix(l, "data: ")
			}
		}
	}()
	var got []string
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended after %q", got)
			}
			got = append(got, l)
			return l
		case <-time.After(5 * time.Second):
			t.Fatalf("no chunk within 5s while the upstream waits; got %q", got)
		}
		return ""
	}
	if a, b := next(), next(); !strings.Contains(a, "one ") || !strings.Contains(b, "two ") {
		t.Fatalf("first chunks %q %q", a, b)
	}
	close(release)
	if c := next(); !strings.Contains(c, "three") {
		t.Fatalf("third chunk %q", c)
	}
	for l := next(); l != "[DONE]"; l = next() {
	}
}
