package openai

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/conduit-gw/conduit/internal/llm"
)

// TestErrorMapping: upstream HTTP failures, recorded in the providers' formats, through Chat
// and ChatStream.
func TestErrorMapping(t *testing.T) {
	httpDate := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		variant    string
		status     int
		header     map[string]string
		body       string
		wantStatus int
		wantCode   string
		retryable  bool
		msg        string        // the client-facing message
		retryAfter time.Duration // expected, within a second below
		// contextLength: the upstream said the request is too long for its context window.
		contextLength bool
	}{
		{name: "openai 400", variant: "openai", status: 400,
			body:       `{"error":{"message":"Invalid value for 'n': must be between 1 and 128.","type":"invalid_request_error","param":"n","code":"invalid_value"}}`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: "openai: Invalid value for 'n': must be between 1 and 128."},
		{name: "openai context length", variant: "openai", status: 400,
			body:       `{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: "openai: This model's maximum context length is 128000 tokens.", contextLength: true},
		{name: "azure content filter 400", variant: "azure", status: 400,
			body:       `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}}`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: "azure: The response was filtered due to the prompt triggering Azure OpenAI's content management policy."},
		{name: "mistral 422 detail", variant: "mistral", status: 422,
			body:       `{"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted","input":{"include_usage":true}}]}`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: `mistral: [{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted"`},
		{name: "mistral 422 message", variant: "mistral", status: 422,
			body:       `{"object":"error","message":"Prompt contains 40000 tokens, too large for model with 32768 maximum context length","type":"invalid_request_error","param":null,"code":null}`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: "mistral: Prompt contains 40000 tokens", contextLength: true},
		{name: "413", variant: "openai", status: 413, body: `<html><body>413 Request Entity Too Large</body></html>`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: "openai: Request Entity Too Large"},
		{name: "openai 401", variant: "openai", status: 401,
			body:       `{"error":{"message":"Incorrect API key provided: sk-proj-********************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, msg: "openai rejected the gateway's credentials (401): Incorrect API key provided"},
		{name: "azure 401", variant: "azure", status: 401,
			body:       `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, msg: "azure rejected the gateway's credentials (401): Access denied"},
		{name: "403", variant: "openrouter", status: 403, body: `{"error":{"message":"Key limit exceeded","code":403}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, msg: "openrouter rejected the gateway's credentials (403): Key limit exceeded"},
		{name: "404 model", variant: "openai", status: 404,
			body:       `{"error":{"message":"The model 'gpt-5-turbo' does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 404: The model 'gpt-5-turbo' does not exist"},
		{name: "azure 404 deployment", variant: "azure", status: 404,
			body:       `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "azure returned 404: The API deployment for this resource does not exist."},
		{name: "ollama 404", variant: "ollama", status: 404,
			body:       `{"error":{"message":"model \"llama3.3\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: `ollama returned 404: model "llama3.3" not found, try pulling it first`},
		{name: "409", variant: "openai", status: 409, body: `{"error":{"message":"Conflict"}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 409: Conflict"},
		{name: "429 seconds", variant: "openai", status: 429, header: map[string]string{"Retry-After": "20"},
			body:       `{"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29812, Requested 1203. Please try again in 2.03s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 429: Rate limit reached for gpt-4o", retryAfter: 20 * time.Second},
		{name: "429 retry-after-ms", variant: "openai", status: 429, header: map[string]string{"Retry-After": "3", "Retry-After-Ms": "2030"},
			body: `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`, wantStatus: 502, wantCode: llm.CodeUpstreamError,
			retryable: true, msg: "openai returned 429: Rate limit reached", retryAfter: 2030 * time.Millisecond},
		{name: "azure 429", variant: "azure", status: 429, header: map[string]string{"Retry-After": "6"},
			body:       `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "azure returned 429: Requests to the ChatCompletions_Create Operation", retryAfter: 6 * time.Second},
		{name: "429 http date", variant: "groq", status: 429, header: map[string]string{"Retry-After": httpDate},
			body: `{"error":{"message":"Rate limit reached for model llama-3.3-70b-versatile","type":"tokens","code":"rate_limit_exceeded"}}`, wantStatus: 502,
			wantCode: llm.CodeUpstreamError, retryable: true, msg: "groq returned 429", retryAfter: 30 * time.Second},
		{name: "429 insufficient quota", variant: "openai", status: 429,
			body:       `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 429: You exceeded your current quota"},
		{name: "500", variant: "openai", status: 500,
			body:       `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 500: The server had an error"},
		{name: "502 html", variant: "openai_compatible", status: 502, body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai_compatible returned 502: Bad Gateway"},
		{name: "503 seconds", variant: "openai", status: 503, header: map[string]string{"Retry-After": "2"},
			body:       `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 503: The engine is currently overloaded", retryAfter: 2 * time.Second},
		{name: "503 http date", variant: "mistral", status: 503, header: map[string]string{"Retry-After": httpDate},
			body: `{"object":"error","message":"Service unavailable.","type":"internal_server_error","param":null,"code":"1000"}`, wantStatus: 502,
			wantCode: llm.CodeUpstreamError, retryable: true, msg: "mistral returned 503: Service unavailable.", retryAfter: 30 * time.Second},
		{name: "503 retry-after in the past", variant: "openai", status: 503, header: map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
			body: `{}`, wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 503: Service Unavailable"},
		{name: "503 retry-after garbage", variant: "openai", status: 503, header: map[string]string{"Retry-After": "Infinity"},
			body: ``, wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai returned 503: Service Unavailable"},
		{name: "529 overloaded", variant: "openai_compatible", status: 529, body: `{"error":"overloaded"}`,
			wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true, msg: "openai_compatible returned 529: overloaded"},
		{name: "408", variant: "openai", status: 408, body: ``,
			wantStatus: 504, wantCode: llm.CodeUpstreamTimeout, retryable: true, msg: "openai timed out (408): Request Timeout"},
		{name: "504", variant: "azure", status: 504, body: `{"error":{"code":"Timeout","message":"The operation was timeout."}}`,
			wantStatus: 504, wantCode: llm.CodeUpstreamTimeout, retryable: true, msg: "azure timed out (504): The operation was timeout."},
		{name: "long message cut", variant: "openai", status: 400, body: `{"error":{"message":"` + strings.Repeat("é", 800) + `"}}`,
			wantStatus: 400, wantCode: llm.CodeInvalidRequest, msg: "openai: éé"},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(tt.body))
				})
				c := newClient(t, tt.variant, up.URL, "k")
				var err error
				if stream {
					req := chatReq()
					req.Stream = true
					var st llm.ChunkStream
					st, err = c.ChatStream(context.Background(), req, "m")
					if st != nil {
						t.Fatal("got a stream")
					}
				} else {
					var resp *llm.Response
					resp, err = c.Chat(context.Background(), chatReq(), "m")
					if resp != nil {
						t.Fatal("got a response")
					}
				}
				e := providertest.AsLLMError(t, err)
				if e.ContextLength != tt.contextLength || e.UpstreamStatus != tt.status {
					t.Errorf("ContextLength %v (want %v), UpstreamStatus %d", e.ContextLength, tt.contextLength, e.UpstreamStatus)
				}
				if e.Status != tt.wantStatus || e.Code != tt.wantCode || e.Retryable != tt.retryable {
					t.Errorf("got %s\nwant status=%d code=%s retryable=%v", providertest.Describe(err), tt.wantStatus, tt.wantCode, tt.retryable)
				}
				wantType := "upstream_error"
				if tt.wantStatus == 400 {
					wantType = "invalid_request_error"
				}
				if e.Type != wantType {
					t.Errorf("type %q, want %q", e.Type, wantType)
				}
				if !strings.HasPrefix(e.Message, tt.msg) {
					t.Errorf("message %q\nwant prefix %q", e.Message, tt.msg)
				}
				if len(e.Message) > 1100 || !utf8Valid(e.Message) {
					t.Errorf("message of %d bytes, valid UTF-8 %v", len(e.Message), utf8Valid(e.Message))
				}
				if tt.retryAfter == 0 && e.RetryAfter != 0 || e.RetryAfter > tt.retryAfter || e.RetryAfter < tt.retryAfter-2*time.Second {
					t.Errorf("RetryAfter = %v, want about %v", e.RetryAfter, tt.retryAfter)
				}
				if e.Cause == nil || !strings.Contains(e.Cause.Error(), "returned "+itoa(tt.status)) {
					t.Errorf("cause %v", e.Cause)
				}
			})
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestTransportErrors: failures without an HTTP response.
func TestTransportErrors(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	hang := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })

	tests := []struct {
		name       string
		base       string
		client     *http.Client
		ctx        func() (context.Context, context.CancelFunc)
		wantStatus int
		wantCode   string
		retryable  bool
		check      func(t *testing.T, err error)
	}{
		{name: "connection refused", base: refused, wantStatus: 502, wantCode: llm.CodeUpstreamError, retryable: true,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("cause is not ECONNREFUSED: %v", err)
				}
			}},
		{name: "context deadline", base: hang.URL, wantStatus: 504, wantCode: llm.CodeUpstreamTimeout, retryable: true,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("cause is not DeadlineExceeded: %v", err)
				}
			}},
		{name: "client timeout", base: hang.URL, client: &http.Client{Timeout: 50 * time.Millisecond},
			wantStatus: 504, wantCode: llm.CodeUpstreamTimeout, retryable: true},
		{name: "context canceled", base: hang.URL, wantStatus: 499, wantCode: "client_closed",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(30*time.Millisecond, cancel)
				return ctx, cancel
			}},
		{name: "canceled before", base: hang.URL, wantStatus: 499, wantCode: "client_closed",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			}},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{true: "/stream"}[stream], func(t *testing.T) {
				hc := tt.client
				if hc == nil {
					hc = &http.Client{}
				}
				c, err := New(variantNamed(t, "openai"), providersConfig("openai", tt.base, "k", ""))
				if err != nil {
					t.Fatal(err)
				}
				c.http.Client = hc
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.ctx != nil {
					ctx, cancel = tt.ctx()
				}
				defer cancel()
				if stream {
					_, err = c.ChatStream(ctx, chatReq(), "m")
				} else {
					_, err = c.Chat(ctx, chatReq(), "m")
				}
				e := providertest.AsLLMError(t, err)
				if e.Status != tt.wantStatus || e.Code != tt.wantCode || e.Retryable != tt.retryable {
					t.Errorf("got %s\nwant status=%d code=%s retryable=%v", providertest.Describe(err), tt.wantStatus, tt.wantCode, tt.retryable)
				}
				if strings.Contains(e.Message, "127.0.0.1") {
					t.Errorf("message leaks the address: %q", e.Message)
				}
				if tt.check != nil {
					tt.check(t, err)
				}
			})
		}
	}
}
