package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

// scriptedStream yields chunks, then err (io.EOF for a clean end).
type scriptedStream struct {
	chunks []string
	err    error
	closed bool
}

func (s *scriptedStream) Next() ([]byte, error) {
	if len(s.chunks) == 0 {
		return nil, s.err
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return []byte(c), nil
}

func (s *scriptedStream) Close() error { s.closed = true; return nil }

// scriptedAdapter streams its script; Chat is not used.
type scriptedAdapter struct {
	stream  *scriptedStream
	openErr error
}

func (a *scriptedAdapter) Chat(context.Context, *llm.ChatRequest, string) (*llm.Response, error) {
	return nil, errors.New("not used")
}

func (a *scriptedAdapter) ChatStream(context.Context, *llm.ChatRequest, string) (llm.ChunkStream, error) {
	if a.openErr != nil {
		return nil, a.openErr
	}
	return a.stream, nil
}

// recordingWriter is a StreamWriter that keeps what it was given; Chunk fails from the
// failAt-th chunk on (0: never), as when the client goes away.
type recordingWriter struct {
	begun  int
	chunks []string
	ends   []error
	failAt int
}

func (w *recordingWriter) Begin(Meta) error { w.begun++; return nil }
func (w *recordingWriter) Flush() error     { return nil }
func (w *recordingWriter) End(err error) error {
	w.ends = append(w.ends, err)
	return nil
}

func (w *recordingWriter) Chunk(data []byte) error {
	if w.failAt > 0 && len(w.chunks)+1 >= w.failAt {
		return errors.New("broken pipe")
	}
	w.chunks = append(w.chunks, string(data))
	return nil
}

type usageRows struct {
	mu   sync.Mutex
	rows []usage.Record
}

func (u *usageRows) Enqueue(r usage.Record) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.rows = append(u.rows, r)
	return true
}

// relayGateway is a gateway with one priced deployment of alias "chat" served by a.
func relayGateway(a *scriptedAdapter, log *usageRows) *Gateway {
	p := &snapshot.Provider{Provider: config.Provider{ID: "p1", Name: "up", Type: "openai", Enabled: true},
		Adapter: a, Timeout: time.Minute}
	d := &snapshot.Deployment{Deployment: config.Deployment{ID: "d1", Alias: "chat", ProviderID: "p1", ProviderModel: "gpt-4o-mini",
		Enabled: true}, Provider: p, Priced: true,
		Price: pricing.Row{Cost: config.Cost{InputPerMTok: 1_000_000, OutputPerMTok: 1_000_000}}}
	s := &snapshot.Snapshot{Providers: map[string]*snapshot.Provider{"p1": p},
		Aliases: map[string]*snapshot.Alias{"chat": {Name: "chat", Deployments: []*snapshot.Deployment{d}}}}
	return New(Options{Config: fixed{s}, Router: router.New(time.Now, 1), Usage: log, Logger: slog.New(slog.DiscardHandler)})
}

const (
	chunkHi    = `{"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"}}]}`
	chunkThere = `{"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}]}`
	chunkUsage = `{"id":"c1","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
)

// The relay settles every stream once: one End (clean or with the error) unless the client
// left, one usage row charged for what was delivered, nothing charged for a broken answer.
func TestRelaySettlesOnce(t *testing.T) {
	tests := []struct {
		name      string
		stream    *scriptedStream
		openErr   error
		failAt    int
		wantErr   int // status Chat returns (0: none)
		chunks    int // chunks the writer received
		ends      []string
		status    int
		tokens    int // prompt + completion on the row (-1: counted, > 0)
		charged   bool
		estimated bool
	}{
		{name: "complete with usage", stream: &scriptedStream{chunks: []string{chunkHi, chunkThere, chunkUsage}, err: io.EOF},
			chunks: 3, ends: []string{""}, status: 200, tokens: 7, charged: true},
		{name: "complete without usage", stream: &scriptedStream{chunks: []string{chunkHi, chunkThere}, err: io.EOF},
			chunks: 2, ends: []string{""}, status: 200, tokens: -1, charged: true, estimated: true},
		{name: "upstream breaks mid-stream", stream: &scriptedStream{chunks: []string{chunkHi},
			err: llm.Upstream("stream ended unexpectedly", io.ErrUnexpectedEOF)},
			chunks: 1, ends: []string{llm.CodeUpstreamError}, status: http.StatusBadGateway, tokens: -1, estimated: true},
		{name: "client leaves", stream: &scriptedStream{chunks: []string{chunkHi, chunkThere, chunkUsage}, err: io.EOF}, failAt: 2,
			wantErr: llm.StatusClientClosed, chunks: 1, status: llm.StatusClientClosed, tokens: -1, charged: true, estimated: true},
		{name: "empty stream", stream: &scriptedStream{err: io.EOF},
			wantErr: http.StatusBadGateway, status: http.StatusBadGateway},
		{name: "refused before the first chunk", openErr: llm.InvalidRequest("messages", "too long"),
			wantErr: http.StatusBadRequest, status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &usageRows{}
			g := relayGateway(&scriptedAdapter{stream: tt.stream, openErr: tt.openErr}, log)
			req, err := llm.ParseChatRequest([]byte(`{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			w := &recordingWriter{failAt: tt.failAt}
			_, err = g.Chat(context.Background(), &Call{RequestID: "r1", Start: time.Now()}, req, w)
			if got := statusOf(err); got != tt.wantErr {
				t.Fatalf("Chat error %v, want status %d", err, tt.wantErr)
			}
			if len(w.chunks) != tt.chunks {
				t.Errorf("writer got %d chunks, want %d: %q", len(w.chunks), tt.chunks, w.chunks)
			}
			for _, c := range w.chunks {
				if !strings.Contains(c, `"model":"chat"`) {
					t.Errorf("chunk does not name the alias: %s", c)
				}
			}
			var ends []string
			for _, e := range w.ends {
				ends = append(ends, codeOf(e))
			}
			if strings.Join(ends, ",") != strings.Join(tt.ends, ",") {
				t.Errorf("End calls %q, want %q", ends, tt.ends)
			}
			if tt.stream != nil && w.begun > 0 && !tt.stream.closed {
				t.Error("the upstream stream was not closed")
			}
			if len(log.rows) != 1 {
				t.Fatalf("%d usage rows, want 1", len(log.rows))
			}
			row := log.rows[0]
			tokens := row.PromptTokens + row.CompletionTokens
			if row.Status != tt.status || row.Estimated != tt.estimated || (row.Cost > 0) != tt.charged ||
				(tt.tokens >= 0 && tokens != tt.tokens) || (tt.tokens < 0 && tokens <= 0) {
				t.Errorf("row: status %d, tokens %d, cost %v, estimated %v", row.Status, tokens, row.Cost, row.Estimated)
			}
		})
	}
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	return llm.AsError(err).Status
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return llm.AsError(err).Code
}

// nativeAdapter also serves the Messages API natively, streaming its script.
type nativeAdapter struct{ scriptedAdapter }

func (a *nativeAdapter) Messages(context.Context, []byte, string, http.Header) (*llm.Response, error) {
	return nil, errors.New("not used")
}

func (a *nativeAdapter) MessagesStream(context.Context, []byte, string, http.Header) (llm.ChunkStream, error) {
	return a.stream, nil
}

func (a *nativeAdapter) CountTokens(context.Context, []byte, string, http.Header) (*llm.Response, error) {
	return nil, errors.New("not used")
}

// A native stream goes through the same relay: its events reach the client naming the alias,
// once, with the usage they report charged and nothing counted.
func TestRelayNativeMessages(t *testing.T) {
	events := []string{
		`{"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":5,"output_tokens":1}}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`,
		`{"type":"message_stop"}`,
	}
	log := &usageRows{}
	g := relayGateway(&scriptedAdapter{}, log)
	d := g.cfg.Load().Aliases["chat"].Deployments[0]
	stream := &scriptedStream{chunks: events, err: io.EOF}
	d.Provider.Adapter = &nativeAdapter{scriptedAdapter{stream: stream}}
	w := &recordingWriter{}
	req := &NativeRequest{API: APIMessages, Model: "chat", Stream: true, Raw: []byte(`{"model":"chat","stream":true}`)}
	res, native, err := g.Native(context.Background(), &Call{RequestID: "r1", Start: time.Now()}, req, w)
	if err != nil || res != nil || !native {
		t.Fatalf("Native: %v, %v, %v", res, native, err)
	}
	if len(w.chunks) != len(events) || !strings.Contains(w.chunks[0], `"model":"chat"`) || len(w.ends) != 1 || w.ends[0] != nil {
		t.Fatalf("writer got %q, ends %v", w.chunks, w.ends)
	}
	row := log.rows[0]
	if row.Status != 200 || row.PromptTokens != 5 || row.CompletionTokens != 2 || row.Estimated || row.Cost <= 0 || !stream.closed {
		t.Fatalf("row %+v", row)
	}
}
