package cohere

import (
	"context"

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
	return providers.EmbedInBatches(Type, req, model, maxEmbedBatch, func(texts []string) ([]gjson.Result, int, error) {
		body, err := llm.Encode(embedRequest{Model: model, Texts: texts, InputType: embedInputType,
			EmbeddingTypes: []string{"float"}, OutputDimension: req.Dimensions})
		if err != nil {
			return nil, 0, err
		}
		out, err := c.http.PostJSON(ctx, c.base+"/embed", body)
		if err != nil {
			return nil, 0, err
		}
		m := gjson.GetBytes(out, "meta")
		prompt := m.Get("billed_units.input_tokens")
		if !prompt.Exists() {
			prompt = m.Get("tokens.input_tokens")
		}
		return gjson.GetBytes(out, "embeddings.float").Array(), int(prompt.Int()), nil
	})
}
