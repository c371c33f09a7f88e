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
	e, k := benchEnv()
	body, _ := json.Marshal(map[string]any{
		"model": "gpt",
		"messages": []map[string]any{
			{"role": "system", "content": strings.Repeat("You are a concise assistant that answers in plain English. ", 9)},
			{"role": "user", "content": strings.Repeat("Summarise the benefits of a gateway. ", 10)},
		},
		"temperature": 0.2, "max_tokens": 64,
	})
	streamBody, _ := sjson.SetBytes(body, "stream", true)
	runPosts(b, e.url+"/v1/chat/completions", k, []namedBody{{"json", body}, {"stream", streamBody}})
}

// BenchmarkResponses measures POST /v1/responses in process like BenchmarkChatCompletions:
// passed through to an openai provider (native) and translated to chat for an
// openai_compatible one, each non-streamed and streamed.
func BenchmarkResponses(b *testing.B) {
	e, k := benchEnv()
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "compat", "type": "openai_compatible",
		"base_url": e.fakeURL, "api_key": testProviderKey})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "compat", "provider_id": p["id"], "provider_model": "gpt-4o-mini"})
	var cases []namedBody
	for _, m := range []struct{ name, alias string }{{"native", "gpt"}, {"translated", "compat"}} {
		body, _ := json.Marshal(map[string]any{
			"model":             m.alias,
			"instructions":      strings.Repeat("You are a concise assistant that answers in plain English. ", 9),
			"input":             strings.Repeat("Summarise the benefits of a gateway. ", 10),
			"temperature":       0.2,
			"max_output_tokens": 64,
		})
		streamBody, _ := sjson.SetBytes(body, "stream", true)
		cases = append(cases, namedBody{m.name + "/json", body}, namedBody{m.name + "/stream", streamBody})
	}
	runPosts(b, e.url+"/v1/responses", k, cases)
}

// benchEnv is a Conduit with the test setup (alias "gpt" on an openai provider) and a key
// whose limits a benchmark does not reach.
func benchEnv() (*env, string) {
	t := &testing.T{}
	e := newEnvWith(t, nil)
	e.t = t
	_, _ = e.setup()
	e.fake.KeepRequests = false
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"rpm": 1_000_000_000, "max_budget": 1e9})["key"].(string)
	return e, k
}

type namedBody struct {
	name string
	body []byte
}

// runPosts runs one parallel sub-benchmark per body, posting it to url with key.
func runPosts(b *testing.B, url, key string, cases []namedBody) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", url, bytes.NewReader(bc.body))
					req.Header.Set("Authorization", "Bearer "+key)
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
