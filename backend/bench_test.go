package backend

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tidwall/sjson"
)

// BenchmarkChatCompletions measures the whole /v1 path in process (key auth, limits, budget,
// routing, upstream call to a fake, usage logging, metrics). Profile it with
// go test -run '^$' -bench ChatCompletions -cpuprofile cpu.out ./backend
func BenchmarkChatCompletions(b *testing.B) {
	t := &testing.T{}
	e := newEnvWith(t, nil)
	e.t = t
	_, _ = e.setup()
	e.fake.KeepRequests = false
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"rpm": 1_000_000_000, "max_budget": 1e9})["key"].(string)
	body, _ := json.Marshal(map[string]any{
		"model": "gpt",
		"messages": []map[string]any{
			{"role": "system", "content": strings.Repeat("You are a concise assistant that answers in plain English. ", 9)},
			{"role": "user", "content": strings.Repeat("Summarise the benefits of a gateway. ", 10)},
		},
		"temperature": 0.2, "max_tokens": 64,
	})
	streamBody, _ := sjson.SetBytes(body, "stream", true)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, bc := range []struct {
		name string
		body []byte
	}{{"json", body}, {"stream", streamBody}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", e.url+"/v1/chat/completions", bytes.NewReader(bc.body))
					req.Header.Set("Authorization", "Bearer "+k)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
