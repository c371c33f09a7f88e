package cohere

import (
	"context"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// maxEmbedBatch is the most texts one /v2/embed call takes; longer inputs are sent in
// several calls.
const maxEmbedBatch = 96

// embedInputType is the input_type sent: OpenAI's API has no such notion, and documents to
// be searched are the common case.
const embedInputType = "search_document"

type embedRequest struct {
	Model           string   `json:"model"`
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	EmbeddingTypes  []string `json:"embedding_types"`
	OutputDimension *int     `json:"output_dimension,omitempty"`
}

// Embeddings embeds a string or an array of strings and answers in OpenAI's list format, with
// float arrays or, for encoding_format "base64", little-endian float32 vectors in base64.
func (c *Client) Embeddings(ctx context.Context, req *llm.EmbeddingsRequest, model string) (*llm.Response, error) {
	if err := providers.CheckEmbeddingParams(Type, req); err != nil {
		return nil, err
	}
	texts, err := providers.EmbeddingInputs(Type, req.Input)
	if err != nil {
		return nil, err
	}
	vectors := make([]gjson.Result, 0, len(texts))
	prompt := 0
	for start := 0; start < len(texts); start += maxEmbedBatch {
		batch := texts[start:min(start+maxEmbedBatch, len(texts))]
		body, err := providers.Marshal(embedRequest{Model: model, Texts: batch, InputType: embedInputType,
			EmbeddingTypes: []string{"float"}, OutputDimension: req.Dimensions})
		if err != nil {
			return nil, err
		}
		out, err := c.http.PostJSON(ctx, c.base+"/embed", body)
		if err != nil {
			return nil, err
		}
		embs := gjson.GetBytes(out, "embeddings.float").Array()
		if len(embs) != len(batch) {
			return nil, malformed(fmt.Errorf("cohere: %d embeddings for %d inputs: %.200s", len(embs), len(batch), out))
		}
		vectors = append(vectors, embs...)
		m := gjson.GetBytes(out, "meta")
		if v := m.Get("billed_units.input_tokens"); v.Exists() {
			prompt += int(v.Int())
		} else {
			prompt += int(m.Get("tokens.input_tokens").Int())
		}
	}
	b, err := providers.EmbeddingList(Type, vectors, req.EncodingFormat == "base64", model, prompt)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: llm.Usage{PromptTokens: prompt, TotalTokens: prompt}}, nil
}
