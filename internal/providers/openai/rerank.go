package openai

import (
	"bytes"
	"context"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// Rerank sends a rerank request to the upstream's /rerank, the Cohere-shaped endpoint Jina,
// vLLM and Infinity serve next to their OpenAI API: the client's body with only the model
// replaced. Tokens the upstream reports (usage.total_tokens) are the prompt tokens.
func (c *Client) Rerank(ctx context.Context, req *llm.RerankRequest, model string) (*llm.Response, error) {
	if !c.v.Rerank {
		return nil, providers.Unsupported(c.v.Name, "rerank")
	}
	body, err := withModel(req.Raw, model)
	if err != nil {
		return nil, err
	}
	out, err := c.http.PostJSON(ctx, c.base+"/rerank", body)
	if err != nil {
		return nil, err
	}
	if !gjson.GetBytes(out, "results").IsArray() {
		return nil, providers.Malformed(c.v.Name, nil)
	}
	u := gjson.GetBytes(out, "usage")
	n := int(u.Get("prompt_tokens").Int())
	if n == 0 {
		n = int(u.Get("total_tokens").Int())
	}
	return &llm.Response{Body: out, Usage: llm.Usage{PromptTokens: n, TotalTokens: n}}, nil
}

var _ providers.Reranker = (*Client)(nil)

// withModel is a copy of the client's JSON body with its model replaced by the upstream's.
func withModel(body []byte, model string) ([]byte, error) {
	b, err := sjson.SetBytes(bytes.Clone(body), "model", model)
	if err != nil {
		return nil, llm.InvalidRequest("model", "cannot set model: "+err.Error())
	}
	return b, nil
}
