package backend

import (
	"math"
	"sync"
	"testing"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

func TestStreamBilledLikeNonStream(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	rows := e.requestLogs(2)
	stream, plain := rows[0], rows[1] // both may share a millisecond: pick by the stream flag
	if stream["stream"] != true {
		stream, plain = plain, stream
	}
	if stream["stream"] != true || plain["stream"] != false {
		t.Fatalf("rows: %v / %v", stream, plain)
	}
	for _, f := range []string{"prompt_tokens", "completion_tokens", "cost"} {
		if stream[f] != plain[f] {
			t.Errorf("%s: stream %v, non-stream %v", f, stream[f], plain[f])
		}
	}
	if plain["cost"].(float64) <= 0 {
		t.Fatal("no cost recorded")
	}
}

func TestStreamWithoutUsageIsCountedAndMarkedEstimated(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.fake.Set(fakeopenai.Script{NoStreamUsage: true})
	resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	r := e.requestLogs(1)[0]
	// "Hello from the fake upstream!" is 7 tokens in o200k_base; the prompt is counted too.
	if r["estimated"] != true || r["completion_tokens"].(float64) < 5 || r["prompt_tokens"].(float64) < 5 || r["cost"].(float64) <= 0 {
		t.Fatalf("row %v", r)
	}
}

// TestBudgetHoldsUnderConcurrency fires 200 concurrent requests at a key whose budget covers
// a few of them: it may overshoot only by requests already in flight when it ran out.
func TestBudgetHoldsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	// Learn one request's cost.
	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	one := e.requestLogs(1)[0]["cost"].(float64)
	budget := one * 3.5
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"max_budget": budget})
	e.fake.Set(fakeopenai.Script{Latency: 0})

	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	quota := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, out := e.v1(k["key"].(string), "/v1/chat/completions", chat("gpt", nil))
			mu.Lock()
			defer mu.Unlock()
			codes[resp.StatusCode]++
			if resp.StatusCode == 429 && errorCode(t, out) == "insufficient_quota" {
				quota++
			}
		}()
	}
	wg.Wait()
	ok := codes[200]
	if ok+quota != n || ok < 1 {
		t.Fatalf("statuses %v (quota refusals %d)", codes, quota)
	}
	// In-flight requests reserve their expected cost, so concurrency cannot carry the key past
	// its budget by more than the one request in flight when it ran out.
	spendOf := func() float64 {
		return e.mustAdmin(200, "GET", "/admin/keys/"+k["id"].(string), nil)["spend"].(float64)
	}
	if spend := spendOf(); ok > 4 || math.Abs(spend-float64(ok)*one) > 1e-12 || spend > budget+one {
		t.Fatalf("%d served, spend %v: past budget %v by more than one request", ok, spend, budget)
	}
	t.Logf("200 concurrent requests at a budget of %.2f requests: %d served, %d refused", budget/one, ok, quota)
	// Served one at a time, the key then spends what is left, and is refused once spent.
	for i := 0; ; i++ {
		resp, out := e.v1(k["key"].(string), "/v1/chat/completions", chat("gpt", nil))
		if resp.StatusCode == 429 {
			if errorCode(t, out) != "insufficient_quota" {
				t.Fatalf("refused with %s", out)
			}
			break
		}
		if resp.StatusCode != 200 || i > 5 {
			t.Fatalf("serial request %d: %d %s", i, resp.StatusCode, out)
		}
	}
	if spend := spendOf(); spend < budget || spend > budget+one {
		t.Fatalf("final spend %v, want within one request over the budget %v", spend, budget)
	}
}

func TestRPMLimitThirdRequest(t *testing.T) {
	e := newEnv(t)
	e.setup()
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"rpm": 2})["key"].(string)
	for i := 1; i <= 3; i++ {
		resp, out := e.v1(k, "/v1/chat/completions", chat("gpt", nil))
		if i < 3 {
			if resp.StatusCode != 200 || resp.Header.Get("x-ratelimit-limit-requests") != "2" ||
				resp.Header.Get("x-ratelimit-remaining-requests") != []string{"", "1", "0"}[i] {
				t.Fatalf("request %d: %d headers %v", i, resp.StatusCode, resp.Header)
			}
			continue
		}
		if resp.StatusCode != 429 || errorCode(t, out) != "rate_limit_exceeded" || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("third request: %d %s %v", resp.StatusCode, out, resp.Header)
		}
	}
}
