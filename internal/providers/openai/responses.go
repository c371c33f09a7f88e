package openai

import (
	"context"
	"io"
	"strings"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/responsesapi"
)

// ResponsesClient is a Client whose upstream also serves the Responses API (OpenAI, Azure):
// Responses requests reach it natively.
type ResponsesClient struct {
	*Client
}

// responsesURL is the Responses endpoint: base/responses, or Azure's v1 API, where the model
// in the body names the deployment.
func (c *ResponsesClient) responsesURL() string {
	if c.v.Azure {
		return strings.TrimSuffix(c.base, "/openai") + "/openai/v1/responses"
	}
	return c.base + "/responses"
}

func (c *ResponsesClient) responsesBody(body []byte, model string) ([]byte, error) {
	out, err := llm.WithModel(body, model)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Responses sends a non-streamed Responses request.
func (c *ResponsesClient) Responses(ctx context.Context, body []byte, model string) (*llm.Response, error) {
	body, err := c.responsesBody(body, model)
	if err != nil {
		return nil, err
	}
	out, err := c.http.PostJSON(ctx, c.responsesURL(), body)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: out, Usage: llm.ParseResponsesUsage(llm.InPlace(out).Get("usage"))}, nil
}

// ResponsesStream starts a streamed Responses request.
func (c *ResponsesClient) ResponsesStream(ctx context.Context, body []byte, model string) (llm.ChunkStream, error) {
	body, err := c.responsesBody(body, model)
	if err != nil {
		return nil, err
	}
	stream, err := c.openStream(ctx, c.responsesURL(), body)
	if err != nil {
		return nil, err
	}
	return newResponsesStream(stream), nil
}

// responsesStream reads a Responses event stream: it has no [DONE] and ends after its
// terminal event.
type responsesStream struct {
	*Stream
	ended bool
}

// newResponsesStream reads s as a Responses event stream. Its events have no choices, so
// the chunk check has no head of theirs to learn.
func newResponsesStream(s *Stream) *responsesStream {
	s.bufs.check.learnt = maxLearn
	return &responsesStream{Stream: s}
}

func (s *responsesStream) Next() ([]byte, error) {
	if s.ended && s.Stream.err == nil {
		// The terminal event was the last: the stream ends here, and its event reader goes
		// back to the pool as at the end of any other stream.
		s.Stream.err = io.EOF
		s.Stream.body.End() // what follows is the end of the body: Close reads it
		s.Stream.release()
	}
	data, err := s.Stream.Next()
	if err != nil {
		return nil, err
	}
	s.ended = responsesapi.Terminal(responsesapi.EventHead(data).Type)
	return data, nil
}

var (
	_ providers.ResponsesAPI = (*ResponsesClient)(nil)
	_ llm.WaitHook           = (*responsesStream)(nil)
)
