package backend

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// The failover tests run each upstream fault of docs (README, "Routing") through the official
// SDK against two fake upstreams: alias "gpt" on "primary" and its fallback alias "backup" on
// "backup". A journal records which upstream saw each request, in order, and a recording
// sleeper every back-off the gateway took (it returns at once, so no test waits for real).

// journal is the order in which the fake upstreams were called.
type journal struct {
	mu   sync.Mutex
	seen []string
}

func (j *journal) wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat/completions") || strings.HasSuffix(r.URL.Path, "/v1/messages") ||
			strings.HasSuffix(r.URL.Path, "/responses") {
			j.mu.Lock()
			j.seen = append(j.seen, name)
			j.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (j *journal) calls() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.seen)
}

// sleeps records the gateway's back-offs without waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

type failoverEnv struct {
	*env
	primary, backup *fakeopenai.Server
	ids             map[string]string // provider and model ids by name
	journal         *journal
	sleeps          *sleeps
	client          openai.Client
}

// knownReply is the known answer both upstreams give: 60 words.
var knownReply = strings.TrimSpace(strings.Repeat("one two three four five six seven eight nine ten ", 6))

// newFailoverEnv: alias "gpt" (primary) falls back to "backup"; max_retries 2, 500 ms base
// back-off capped at 10 s, one deployment per alias.
func newFailoverEnv(t *testing.T) *failoverEnv {
	t.Helper()
	return newFailoverEnvOf(t, "openai_compatible")
}

// newFailoverEnvOf is newFailoverEnv with providers of type typ: "openai_compatible" (chat),
// "anthropic" (Messages served natively) or "openai" (Responses served natively).
func newFailoverEnvOf(t *testing.T, typ string) *failoverEnv {
	t.Helper()
	sl := &sleeps{}
	e := newEnvWith(t, func(o *runtime.Options) { o.Sleep = sl.sleep })
	f := &failoverEnv{env: e, primary: fakeopenai.New(""), backup: fakeopenai.New(""), journal: &journal{},
		sleeps: sl, ids: map[string]string{}}
	f.primary.Reply, f.backup.Reply = knownReply, knownReply
	for _, u := range []struct {
		name string
		fake *fakeopenai.Server
	}{{"primary", f.primary}, {"backup", f.backup}} {
		srv := httptest.NewServer(f.journal.wrap(u.name, u.fake))
		t.Cleanup(srv.Close)
		base := srv.URL + "/v1"
		if typ == "anthropic" {
			base = srv.URL
		}
		p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": u.name,
			"type": typ, "base_url": base, "api_key": "upstream-key", "timeout_ms": 30000})
		alias := map[string]string{"primary": "gpt", "backup": "backup"}[u.name]
		m := e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": alias, "provider_id": p["id"],
			"provider_model": "m-" + u.name})
		f.ids["provider:"+u.name], f.ids["model:"+u.name] = p["id"].(string), m["id"].(string)
	}
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"max_retries": 2, "retry_base_ms": 500, "retry_max_ms": 10000,
		"fallbacks": map[string]any{"gpt": []string{"backup"}}})
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "failover"})["key"].(string)
	f.client = openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(k), option.WithMaxRetries(0))
	return f
}

// streamResult is what the client saw of one streamed answer.
type streamResult struct {
	text, model, finish, fallback string
	ids                           map[string]bool
	usage                         openai.CompletionUsage
	err                           error
}

func (f *failoverEnv) stream() streamResult {
	var resp *http.Response
	st := f.client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count to ten, six times")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithResponseInto(&resp))
	r := streamResult{ids: map[string]bool{}}
	models := map[string]bool{}
	for st.Next() {
		c := st.Current()
		r.ids[c.ID] = true
		models[c.Model] = true
		if len(c.Choices) > 0 {
			r.text += c.Choices[0].Delta.Content
			if c.Choices[0].FinishReason != "" {
				if r.finish != "" {
					r.finish += "," // more than one finish reason
				}
				r.finish += c.Choices[0].FinishReason
			}
		}
		if c.Usage.TotalTokens > 0 {
			r.usage = c.Usage
		}
	}
	r.err = st.Err()
	for m := range models {
		if r.model != "" {
			r.model += ","
		}
		r.model += m
	}
	if resp != nil {
		r.fallback = resp.Header.Get("x-conduit-fallback")
	}
	return r
}

// expect checks the calls the upstreams saw and the back-offs between them.
func (f *failoverEnv) expect(t *testing.T, calls []string, waits ...[2]time.Duration) {
	t.Helper()
	if got := f.journal.calls(); !slices.Equal(got, calls) {
		t.Errorf("upstream calls %v, want %v", got, calls)
	}
	got := f.sleeps.all()
	if len(got) != len(waits) {
		t.Fatalf("back-offs %v, want %d in %v", got, len(waits), waits)
	}
	for i, w := range waits {
		if got[i] < w[0] || got[i] > w[1] {
			t.Errorf("back-off %d = %v, want within %v", i, got[i], w)
		}
	}
}

// exactly is a back-off of d, no jitter.
func exactly(d time.Duration) [2]time.Duration { return [2]time.Duration{d, d} }

// backoff is retry n (1-based) of base 500 ms: 500·2^(n-1) plus up to 20% jitter.
func backoff(n int) [2]time.Duration {
	d := 500 * time.Millisecond << (n - 1)
	return [2]time.Duration{d, d + d/5}
}

func (f *failoverEnv) complete(t *testing.T, r streamResult, model string) {
	t.Helper()
	if r.err != nil || r.text != knownReply || r.model != model || r.finish != "stop" || len(r.ids) != 1 {
		t.Fatalf("stream: err %v, model %q, finish %q, %d ids, text %q", r.err, r.model, r.finish, len(r.ids), r.text)
	}
	wantFallback := ""
	if model != "gpt" {
		wantFallback = model
	}
	if r.fallback != wantFallback {
		t.Errorf("x-conduit-fallback %q, want %q", r.fallback, wantFallback)
	}
	if r.usage.CompletionTokens == 0 {
		t.Errorf("no usage: %+v", r.usage)
	}
}

func TestFailover429RetryAfterRetriesSameDeployment(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 429, FailTimes: 1, RetryAfter: "2"})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "primary"}, exactly(2*time.Second))
}

func TestFailoverRetryAfterMS(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 429, FailTimes: 1, RetryAfter: "3", RetryAfterMS: "1250"})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "primary"}, exactly(1250*time.Millisecond))
}

func TestFailoverRetryAfterBeyondCapMovesOn(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 429, FailTimes: 1, RetryAfter: "60"})
	f.complete(t, f.stream(), "backup")
	f.expect(t, []string{"primary", "backup"})
}

func TestFailover500OnceRetriesQuickly(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 1})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "primary"}, backoff(1))
}

func TestFailoverPersistentErrorsThenFallback(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newFailoverEnv(t)
			f.primary.Set(fakeopenai.Script{FailStatus: status, FailTimes: 1000})
			f.complete(t, f.stream(), "backup")
			f.expect(t, []string{"primary", "primary", "primary", "backup"}, backoff(1), backoff(2))
			row := f.requestLogs(1)[0]
			log, _ := row["attempt_log"].([]any)
			if row["attempts"] != float64(4) || len(log) != 4 || row["provider_id"] != f.ids["provider:backup"] {
				t.Fatalf("log row %v", row)
			}
			for i, a := range log {
				a := a.(map[string]any)
				wantStatus, wantDep := float64(status), f.ids["model:primary"]
				if i == 3 {
					wantStatus, wantDep = 200, f.ids["model:backup"]
				}
				if a["status"] != wantStatus || a["deployment_id"] != wantDep {
					t.Errorf("attempt %d: %v", i, a)
				}
			}
		})
	}
}

func TestFailoverResetBeforeHeadersRetries(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{ResetTimes: 1})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "primary"}, backoff(1))
}

func TestFailoverSilentDeploymentNotRetried(t *testing.T) {
	f := newFailoverEnv(t)
	f.mustAdmin(200, "PATCH", "/admin/providers/"+f.ids["provider:primary"], map[string]any{"timeout_ms": 300})
	f.primary.Set(fakeopenai.Script{Latency: 30 * time.Second})
	f.complete(t, f.stream(), "backup")
	f.expect(t, []string{"primary", "backup"})
}

func TestFailoverFirstTokenLimit(t *testing.T) {
	f := newFailoverEnv(t)
	f.mustAdmin(200, "PUT", "/admin/router", map[string]any{"first_token_timeout_ms": 300})
	f.primary.Set(fakeopenai.Script{FirstChunkDelay: 20 * time.Second})
	f.complete(t, f.stream(), "backup")
	f.expect(t, []string{"primary", "backup"})
	// The model row's own limit wins: 20 s is within it.
	f.mustAdmin(200, "PATCH", "/admin/models/"+f.ids["model:primary"], map[string]any{"first_token_timeout_ms": 60000})
	f.primary.Set(fakeopenai.Script{FirstChunkDelay: 500 * time.Millisecond})
	f.complete(t, f.stream(), "gpt")
}

func TestFailoverContextLength(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{ContextWindow: 5})
	// No larger context configured: returned at once, never resent (not to the plain
	// fallback either).
	_, err := f.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count to ten, six times")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "maximum context length") {
		t.Fatalf("err = %v", err)
	}
	f.expect(t, []string{"primary"})
	// With a context window fallback, it goes there.
	f.mustAdmin(200, "PUT", "/admin/router", map[string]any{"context_window_fallbacks": map[string]any{"gpt": []string{"backup"}}})
	f.complete(t, f.stream(), "backup")
	f.expect(t, []string{"primary", "primary", "backup"})
}

func TestFailoverContextLengthLargerDeployment(t *testing.T) {
	f := newFailoverEnv(t)
	f.mustAdmin(200, "PATCH", "/admin/models/"+f.ids["model:primary"], map[string]any{"context_window": 8000})
	// A second deployment of "gpt", larger, on the backup upstream, lower priority.
	f.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "gpt", "provider_id": f.ids["provider:backup"],
		"provider_model": "m-long", "context_window": 128000, "priority": 1})
	f.primary.Set(fakeopenai.Script{ContextWindow: 5})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "backup"})
}

func TestFailoverContentPolicyNotRetried(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 400, FailTimes: 1, FailCode: "content_filter"})
	_, err := f.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("err = %v", err)
	}
	f.expect(t, []string{"primary"})
}

// Non-stream answers follow the same rules, and name the alias that answered.
func TestFailoverNonStreamNamesFallback(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 503, FailTimes: 1000})
	var resp *http.Response
	out, err := f.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}, option.WithResponseInto(&resp))
	if err != nil || out.Model != "backup" || out.Choices[0].Message.Content != knownReply || resp.Header.Get("x-conduit-fallback") != "backup" {
		t.Fatalf("%v %+v", err, out)
	}
	f.expect(t, []string{"primary", "primary", "primary", "backup"}, backoff(1), backoff(2))
}

// TestFailoverResponsesNamesFallback: a /v1/responses request translated to chat for its
// deployments, answered by the fallback, names the fallback alias, whole and streamed.
func TestFailoverResponsesNamesFallback(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{FailStatus: 503, FailTimes: 1000})
	params := responses.ResponseNewParams{Model: "gpt", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}}
	var resp *http.Response
	out, err := f.client.Responses.New(context.Background(), params, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if out.Model != "backup" || out.OutputText() != knownReply || resp.Header.Get("x-conduit-fallback") != "backup" {
		t.Fatalf("x-conduit-fallback %q, response %s", resp.Header.Get("x-conduit-fallback"), out.RawJSON())
	}
	st := f.client.Responses.NewStreaming(context.Background(), params)
	models := map[string]bool{}
	for st.Next() {
		if ev := st.Current(); ev.Response.Model != "" {
			models[ev.Response.Model] = true
		}
	}
	if err := st.Err(); err != nil || len(models) != 1 || !models["backup"] {
		t.Fatalf("streamed response models %v, %v; want only backup", models, err)
	}
}

// prefill marks the backup deployment as one that continues a trailing assistant message.
func (f *failoverEnv) prefill(t *testing.T) {
	t.Helper()
	f.mustAdmin(200, "PATCH", "/admin/models/"+f.ids["model:backup"], map[string]any{"supports_prefill": true})
}

// continuedFrom checks that the backup was asked to continue after the text the client had.
func (f *failoverEnv) continuedFrom(t *testing.T, words int) {
	t.Helper()
	reqs := f.backup.Requests()
	msgs, _ := reqs[len(reqs)-1].Body["messages"].([]any)
	last, _ := msgs[len(msgs)-1].(map[string]any)
	want := strings.Join(strings.SplitAfter(knownReply, " ")[:words], "")
	if len(msgs) != 2 || last["role"] != "assistant" || last["content"] != want {
		t.Fatalf("continuation request messages %v", msgs)
	}
}

func TestFailoverStreamCutIsContinued(t *testing.T) {
	f := newFailoverEnv(t)
	f.prefill(t)
	f.primary.Set(fakeopenai.Script{CutAfter: 40})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "backup"})
	f.continuedFrom(t, 40)
	row := f.requestLogs(1)[0]
	log, _ := row["attempt_log"].([]any)
	if row["status"] != float64(200) || row["provider_id"] != f.ids["provider:backup"] || len(log) != 2 ||
		log[0].(map[string]any)["status"] != float64(502) || log[1].(map[string]any)["continuation"] == nil {
		t.Fatalf("log row %v", row)
	}
}

func TestFailoverStreamStallIsContinued(t *testing.T) {
	f := newFailoverEnv(t)
	f.prefill(t)
	f.mustAdmin(200, "PUT", "/admin/router", map[string]any{"stream_idle_timeout_ms": 300})
	f.primary.Set(fakeopenai.Script{StallAfter: 20, StallFor: 30 * time.Second})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "backup"})
	f.continuedFrom(t, 20)
}

func TestFailoverStreamErrorEventIsContinued(t *testing.T) {
	f := newFailoverEnv(t)
	f.prefill(t)
	f.primary.Set(fakeopenai.Script{ErrorEventAfter: 10})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary", "backup"})
	f.continuedFrom(t, 10)
}

func TestFailoverMalformedEventSkipped(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{MalformedAfter: 30})
	f.complete(t, f.stream(), "gpt")
	f.expect(t, []string{"primary"})
	row := f.requestLogs(1)[0]
	log, _ := row["attempt_log"].([]any)
	if row["status"] != float64(200) || len(log) != 1 || log[0].(map[string]any)["skipped_events"] != float64(1) {
		t.Fatalf("log row %v", row)
	}
	if _, out := f.do("GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + testMaster}); !strings.Contains(string(out),
		`conduit_stream_events_total{event="skipped",provider="`+f.ids["provider:primary"]+`"} 1`) {
		t.Error("skipped event not in the metrics")
	}
}

func TestFailoverNoDoneAfterFinishIsComplete(t *testing.T) {
	f := newFailoverEnv(t)
	f.primary.Set(fakeopenai.Script{NoDone: true})
	r := f.stream()
	f.complete(t, r, "gpt")
	f.expect(t, []string{"primary"})
	if row := f.requestLogs(1)[0]; row["status"] != float64(200) || row["completion_tokens"] != float64(r.usage.CompletionTokens) || row["estimated"] != false {
		t.Fatalf("log row %v (client usage %+v)", row, r.usage)
	}
}

// A cut with no deployment that takes a prefill, or one that refuses it: the stream ends
// with an error event naming the original failure, never [DONE].
func TestFailoverStreamCutNotContinued(t *testing.T) {
	notContinued(t, "openai_compatible", func(t *testing.T, f *failoverEnv, calls []string) {
		r := f.stream()
		var apiErr *openai.Error
		if r.err == nil || strings.Contains(r.err.Error(), "prefill") || !strings.Contains(r.err.Error(), "stream ended unexpectedly") {
			t.Fatalf("stream error %v (%T %v), text %q", r.err, r.err, errors.As(r.err, &apiErr), r.text)
		}
		if want := strings.Join(strings.SplitAfter(knownReply, " ")[:40], ""); r.text != want || r.finish != "" {
			t.Fatalf("text %q, finish %q", r.text, r.finish)
		}
		f.expect(t, calls)
		if row := f.requestLogs(1)[0]; row["status"] != float64(502) || row["cost"] != float64(0) {
			t.Fatalf("log row %v", row)
		}
	})
}

// notContinued runs check on a stream cut after 40 words that cannot be continued, with
// providers of type typ: with no deployment that takes a prefill (calls: the primary), and
// with a backup that refuses it (calls: the primary, the backup).
func notContinued(t *testing.T, typ string, check func(t *testing.T, f *failoverEnv, calls []string)) {
	for _, tt := range []struct {
		name    string
		prefill bool
		calls   []string
	}{{"no prefill deployment", false, []string{"primary"}}, {"prefill refused", true, []string{"primary", "backup"}}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFailoverEnvOf(t, typ)
			if tt.prefill {
				f.prefill(t)
			}
			f.primary.Set(fakeopenai.Script{CutAfter: 40})
			f.backup.Set(fakeopenai.Script{RejectPrefill: true})
			check(t, f, tt.calls)
		})
	}
}

// The same continuation on /v1/messages, through Anthropic's SDK.
func TestFailoverStreamCutIsContinuedOnMessages(t *testing.T) {
	f := newFailoverEnv(t)
	f.prefill(t)
	f.primary.Set(fakeopenai.Script{CutAfter: 40})
	key := f.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "anthropic"})["key"].(string)
	client := anthropic.NewClient(anthropicoption.WithBaseURL(f.url), anthropicoption.WithAPIKey(key), anthropicoption.WithMaxRetries(0))
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{Model: "gpt", MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("count to ten, six times"))}})
	var msg anthropic.Message
	starts := 0
	for stream.Next() {
		ev := stream.Current()
		if ev.Type == "message_start" {
			starts++
		}
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if starts != 1 || len(msg.Content) != 1 || msg.Content[0].Text != knownReply || msg.StopReason != anthropic.StopReasonEndTurn || msg.Model != "gpt" {
		t.Fatalf("%d message starts, accumulated %+v", starts, msg)
	}
	f.expect(t, []string{"primary", "backup"})
	f.continuedFrom(t, 40)
}
