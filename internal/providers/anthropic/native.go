package anthropic

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/sse"
)

// Messages requests reach this adapter natively: the client's bytes with only the model
// replaced, and its anthropic-beta header passed on, so prompt caching, thinking and every
// field Anthropic adds keep working as they do there.

// forwardedHeaders are the client headers a native request passes on.
var forwardedHeaders = []string{"anthropic-beta"}

func (c *Client) nativeRequest(ctx context.Context, path string, body []byte, model string, header http.Header) (*http.Request, error) {
	out, err := llm.WithModel(body, model)
	if err != nil {
		return nil, err
	}
	req, err := c.http.NewRequest(ctx, http.MethodPost, c.base+path, out)
	if err != nil {
		return nil, err
	}
	for _, h := range forwardedHeaders {
		if v := header.Values(h); len(v) > 0 {
			req.Header[http.CanonicalHeaderKey(h)] = v
		}
	}
	return req, nil
}

// nativeJSON sends a native request that is answered in one JSON body, and returns that body.
func (c *Client) nativeJSON(ctx context.Context, path string, body []byte, model string, header http.Header) ([]byte, error) {
	req, err := c.nativeRequest(ctx, path, body, model, header)
	if err != nil {
		return nil, err
	}
	return c.http.ReadJSON(req)
}

// Messages sends a non-streamed Messages request as the client wrote it.
func (c *Client) Messages(ctx context.Context, body []byte, model string, header http.Header) (*llm.Response, error) {
	out, err := c.nativeJSON(ctx, "/v1/messages", body, model, header)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: out, Usage: llm.ParseMessagesUsage(gjson.GetBytes(out, "usage"))}, nil
}

// CountTokens counts the input tokens of a Messages request.
func (c *Client) CountTokens(ctx context.Context, body []byte, model string, header http.Header) (*llm.Response, error) {
	out, err := c.nativeJSON(ctx, "/v1/messages/count_tokens", body, model, header)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: out, Usage: llm.Usage{PromptTokens: int(gjson.GetBytes(out, "input_tokens").Int())}}, nil
}

// MessagesStream starts a streamed Messages request as the client wrote it.
func (c *Client) MessagesStream(ctx context.Context, body []byte, model string, header http.Header) (llm.ChunkStream, error) {
	req, err := c.nativeRequest(ctx, "/v1/messages", body, model, header)
	if err != nil {
		return nil, err
	}
	stream, err := c.http.Stream(req)
	if err != nil {
		return nil, err
	}
	return &eventStream{body: providers.StreamBody{ReadCloser: stream}, r: sse.NewReader(stream)}, nil
}

// eventStream yields the upstream's events unchanged, each its JSON data.
type eventStream struct {
	body providers.StreamBody // told at message_stop: read to its end when closed
	r    *sse.Reader
	err  error
}

func (s *eventStream) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.body.Ended() {
		return nil, io.EOF
	}
	for {
		ev, err := s.r.Next()
		if err != nil {
			s.err = providers.ReadEnd(Type, err)
			return nil, s.err
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		typ := gjson.GetBytes(data, "type").Str
		if string(ev.Name) == "error" || typ == "error" || !gjson.ValidBytes(data) {
			s.err = providers.StreamError(Type, data, errorMessagePaths...)
			return nil, s.err
		}
		if typ == "message_stop" {
			s.body.End()
		}
		return bytes.Clone(data), nil
	}
}

// Close releases the upstream connection, kept for another request after message_stop
// (providers.StreamBody).
func (s *eventStream) Close() error { return s.body.Close() }

var (
	_ providers.MessagesAPI = (*Client)(nil)
	_ llm.ChunkStream       = (*eventStream)(nil)
)
