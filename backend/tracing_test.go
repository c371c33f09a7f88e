package backend

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// otlpReceiver is an OTLP/HTTP trace collector: it decodes each ExportTraceServiceRequest
// and keeps the spans with their resource's service.name.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []*tracepb.Span
	services []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var in coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &in)
		}
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
			t.Errorf("OTLP export %s (%s): %v", req.URL.Path, req.Header.Get("Content-Type"), err)
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range in.ResourceSpans {
			r.services = append(r.services, attr(rs.GetResource().GetAttributes(), "service.name").GetStringValue())
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) received() ([]*tracepb.Span, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans), slices.Clone(r.services)
}

// attr finds one attribute's value (nil when absent).
func attr(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// flushTraces waits for the requests in flight (their spans end once the answer is written)
// and exports every span still queued.
func (e *env) flushTraces() {
	e.t.Helper()
	e.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.rt.Tracing.Shutdown(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// tracedEnv is an env whose traces go to a fresh receiver.
func tracedEnv(t *testing.T) (*env, *otlpReceiver) {
	rcv := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "")
	t.Setenv("OTEL_SDK_DISABLED", "")
	t.Setenv("OTEL_SERVICE_NAME", "conduit-test")
	e := newEnvWith(t, func(o *runtime.Options) { o.TraceURL = "https://jaeger.example/trace/{trace_id}?x=1" })
	if e.rt.Tracing == nil {
		t.Fatal("tracing is off with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	return e, rcv
}

const (
	clientTraceID = "0af7651916cd43dd8448eb211c80319c"
	clientSpanID  = "b7ad6b7169203331"
)

// A request whose first upstream attempt fails with a 500 is one server span continuing the
// client's trace, with one client span per attempt under it; each upstream request carries
// the traceparent of its attempt's span.
func TestTracingSpanTreeOfRetriedRequest(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "stream"}[stream], func(t *testing.T) {
			e, rcv := tracedEnv(t)
			_, key := e.setup()
			e.fake.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 1})
			resp, body := e.do("POST", "/v1/chat/completions", map[string]any{
				"model": "gpt", "stream": stream, "max_tokens": 50, "temperature": 0.2,
				"messages": []map[string]any{{"role": "user", "content": "secret prompt text"}},
			}, map[string]string{"Authorization": "Bearer " + key, "traceparent": "00-" + clientTraceID + "-" + clientSpanID + "-01"})
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			row := e.requestLogs(1)[0]
			keyID := row["key_id"].(string)
			if row["trace_id"] != clientTraceID {
				t.Errorf("log row trace_id %v, want the client's trace", row["trace_id"])
			}
			if got := e.mustAdmin(200, "GET", "/admin/logs/"+row["id"].(string), nil)["trace_url"]; got != "https://jaeger.example/trace/"+clientTraceID+"?x=1" {
				t.Errorf("log detail trace_url %v", got)
			}
			e.flushTraces()
			spans, services := rcv.received()
			if len(spans) != 3 || !slices.Contains(services, "conduit-test") {
				t.Fatalf("%d spans from %v, want 3 from conduit-test", len(spans), services)
			}
			server := spans[slices.IndexFunc(spans, func(s *tracepb.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })]
			if got := hex.EncodeToString(server.TraceId); got != clientTraceID || hex.EncodeToString(server.ParentSpanId) != clientSpanID ||
				server.Name != "POST /v1/chat/completions" || server.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
				t.Fatalf("server span %q trace %s parent %x status %v", server.Name, got, server.ParentSpanId, server.Status)
			}
			wantAttrs(t, server, map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt", "gen_ai.response.model": "gpt-4o-mini",
				"gen_ai.request.max_tokens": int64(50), "gen_ai.request.temperature": 0.2,
				"gen_ai.response.finish_reasons": []string{"stop"}, "conduit.alias": "gpt", "conduit.key_id": keyID,
				"conduit.attempt": int64(2), "http.response.status_code": int64(200), "http.route": "/v1/chat/completions",
			})
			for _, k := range []string{"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"} {
				if attr(server.Attributes, k).GetIntValue() <= 0 {
					t.Errorf("server span %s = %v", k, attr(server.Attributes, k))
				}
			}
			for _, k := range []string{"conduit.request.body", "conduit.response.body"} {
				if attr(server.Attributes, k) != nil {
					t.Errorf("server span has %s with log_bodies off", k)
				}
			}
			attempts := slices.DeleteFunc(slices.Clone(spans), func(s *tracepb.Span) bool { return s == server })
			slices.SortFunc(attempts, func(a, b *tracepb.Span) int {
				return int(attr(a.Attributes, "conduit.attempt").GetIntValue() - attr(b.Attributes, "conduit.attempt").GetIntValue())
			})
			for i, a := range attempts {
				if a.Kind != tracepb.Span_SPAN_KIND_CLIENT || a.Name != "chat gpt-4o-mini" ||
					hex.EncodeToString(a.TraceId) != clientTraceID || string(a.ParentSpanId) != string(server.SpanId) {
					t.Fatalf("attempt %d: %s %q trace %x parent %x", i+1, a.Kind, a.Name, a.TraceId, a.ParentSpanId)
				}
				wantAttrs(t, a, map[string]any{"conduit.attempt": int64(i + 1), "gen_ai.provider.name": "openai",
					"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini", "conduit.provider": "fake"})
			}
			if attempts[0].Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || attempts[1].Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
				t.Fatalf("attempt statuses %v, %v", attempts[0].Status, attempts[1].Status)
			}
			wantAttrs(t, attempts[0], map[string]any{"http.response.status_code": int64(500)})
			wantAttrs(t, attempts[1], map[string]any{"conduit.retry_reason": "upstream status 500",
				"gen_ai.response.finish_reasons": []string{"stop"}})
			// Each upstream request carries the traceparent of its own attempt's span.
			reqs := e.fake.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d upstream requests", len(reqs))
			}
			for i, r := range reqs {
				want := "00-" + clientTraceID + "-" + hex.EncodeToString(attempts[i].SpanId) + "-01"
				if got := r.Header.Get("traceparent"); got != want {
					t.Errorf("upstream request %d traceparent %q, want %q", i+1, got, want)
				}
			}
		})
	}
}

// A client's traceparent that says "not sampled" is honoured: nothing is exported, the log
// row names no trace, and the upstream is told the trace is not sampled.
func TestTracingUnsampledClientTrace(t *testing.T) {
	e, rcv := tracedEnv(t)
	_, key := e.setup()
	resp, body := e.do("POST", "/v1/chat/completions", map[string]any{"model": "gpt",
		"messages": []map[string]any{{"role": "user", "content": "hi"}}},
		map[string]string{"Authorization": "Bearer " + key, "traceparent": "00-" + clientTraceID + "-" + clientSpanID + "-00"})
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if id := e.requestLogs(1)[0]["trace_id"]; id != "" {
		t.Errorf("log row trace_id %v for an unsampled trace", id)
	}
	e.flushTraces()
	if spans, _ := rcv.received(); len(spans) != 0 {
		t.Fatalf("%d spans exported", len(spans))
	}
	reqs := e.fake.Requests()
	if tp := reqs[0].Header.Get("traceparent"); !strings.HasPrefix(tp, "00-"+clientTraceID+"-") || !strings.HasSuffix(tp, "-00") {
		t.Fatalf("upstream traceparent %q", tp)
	}
}

// A request answered from the response cache is a server span with conduit.cache=hit and no
// attempt under it; the request that filled the cache says miss.
func TestTracingCacheVerdict(t *testing.T) {
	e, rcv := tracedEnv(t)
	e.setup()
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "cached", "cache_ttl_s": 60})["key"].(string)
	body := chat("gpt", map[string]any{"temperature": 0})
	for i := range 2 {
		if resp, out := e.v1(key, "/v1/chat/completions", body); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i+1, resp.StatusCode, out)
		}
	}
	e.flushTraces()
	spans, _ := rcv.received()
	verdicts := map[string]int{}
	traces := map[string]int{} // spans per trace
	for _, s := range spans {
		traces[hex.EncodeToString(s.TraceId)]++
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			verdicts[attr(s.Attributes, "conduit.cache").GetStringValue()+" "+
				strconv.Itoa(int(attr(s.Attributes, "conduit.attempt").GetIntValue()))]++
		}
	}
	if verdicts["miss 1"] != 1 || verdicts["hit 0"] != 1 || len(spans) != 3 || len(traces) != 2 {
		t.Fatalf("server spans by verdict and attempts %v; %d spans in %d traces", verdicts, len(spans), len(traces))
	}
}

// wantAttrs checks a span's attributes (strings, int64s, float64s and string slices).
func wantAttrs(t *testing.T, s *tracepb.Span, want map[string]any) {
	t.Helper()
	for k, w := range want {
		v := attr(s.Attributes, k)
		var got any
		switch {
		case v == nil:
		case v.GetArrayValue() != nil:
			var ss []string
			for _, x := range v.GetArrayValue().Values {
				ss = append(ss, x.GetStringValue())
			}
			got = ss
		default:
			switch w.(type) {
			case string:
				got = v.GetStringValue()
			case int64:
				got = v.GetIntValue()
			case float64:
				got = v.GetDoubleValue()
			}
		}
		if ws, ok := w.([]string); ok {
			if gs, _ := got.([]string); !slices.Equal(gs, ws) {
				t.Errorf("span %q: %s = %v, want %v", s.Name, k, got, w)
			}
		} else if got != w {
			t.Errorf("span %q: %s = %v, want %v", s.Name, k, got, w)
		}
	}
}

// With settings.log_bodies on, the request's span carries the prompt and the answer.
func TestTracingBodiesOnlyWithLogBodies(t *testing.T) {
	e, rcv := tracedEnv(t)
	_, key := e.setup()
	e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"log_bodies": true})
	resp, body := e.v1(key, "/v1/chat/completions", map[string]any{"model": "gpt",
		"messages": []map[string]any{{"role": "user", "content": "secret prompt text"}}})
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	e.flushTraces()
	spans, _ := rcv.received()
	i := slices.IndexFunc(spans, func(s *tracepb.Span) bool { return s.Kind == tracepb.Span_SPAN_KIND_SERVER })
	if i < 0 {
		t.Fatalf("no server span in %d", len(spans))
	}
	req := attr(spans[i].Attributes, "conduit.request.body").GetStringValue()
	res := attr(spans[i].Attributes, "conduit.response.body").GetStringValue()
	if !strings.Contains(req, "secret prompt text") || !strings.Contains(res, e.fake.Reply) {
		t.Fatalf("request body %q, response body %q", req, res)
	}
}

// With tracing off (no endpoint, or the SDK disabled) no trace pipeline exists and upstream
// requests carry no traceparent, even when the client sent one.
func TestTracingOff(t *testing.T) {
	for name, disabled := range map[string]string{"no endpoint": "", "sdk disabled": "true"} {
		t.Run(name, func(t *testing.T) {
			endpoint := ""
			if disabled != "" {
				endpoint = newOTLPReceiver(t).URL
			}
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
			t.Setenv("OTEL_SDK_DISABLED", disabled)
			e := newEnv(t)
			if e.rt.Tracing != nil {
				t.Fatal("tracing is on")
			}
			_, key := e.setup()
			resp, body := e.do("POST", "/v1/chat/completions", map[string]any{"model": "gpt",
				"messages": []map[string]any{{"role": "user", "content": "hi"}}},
				map[string]string{"Authorization": "Bearer " + key, "traceparent": "00-" + clientTraceID + "-" + clientSpanID + "-01"})
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if id := e.requestLogs(1)[0]["trace_id"]; id != "" {
				t.Errorf("log row trace_id %v with tracing off", id)
			}
			reqs := e.fake.Requests()
			if len(reqs) != 1 || reqs[0].Header.Get("traceparent") != "" {
				t.Fatalf("%d upstream requests, traceparent %q", len(reqs), reqs[0].Header.Get("traceparent"))
			}
		})
	}
}
