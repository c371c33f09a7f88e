package openai

import (
	"context"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// completionsBody is the client's legacy completions request with the model replaced and,
// for streams on upstreams that take it, usage asked for so that spend is exact.
func (c *Client) completionsBody(body []byte, model string, stream bool) ([]byte, error) {
	out, err := llm.WithModel(body, model)
	if err != nil {
		return nil, err
	}
	if stream && c.v.StreamUsage && !gjson.GetBytes(out, "stream_options.include_usage").Bool() {
		if out, err = sjson.SetBytes(out, "stream_options.include_usage", true); err != nil {
			return nil, llm.InvalidRequest("stream_options", "cannot set stream_options: "+err.Error())
		}
	}
	return out, nil
}

// Completions sends a non-streamed legacy text completion.
func (c *Client) Completions(ctx context.Context, body []byte, model string) (*llm.Response, error) {
	b, err := c.completionsBody(body, model, false)
	if err != nil {
		return nil, err
	}
	return c.postJSON(ctx, c.endpoint("completions", model), b)
}

// CompletionsStream starts a streamed legacy text completion; chunks end with [DONE] like
// chat's.
func (c *Client) CompletionsStream(ctx context.Context, body []byte, model string) (llm.ChunkStream, error) {
	b, err := c.completionsBody(body, model, true)
	if err != nil {
		return nil, err
	}
	return chunks(c.openStream(ctx, c.endpoint("completions", model), b))
}

var _ providers.Completer = (*Client)(nil)
