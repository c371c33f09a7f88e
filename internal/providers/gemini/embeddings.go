package gemini

import (
	"context"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// maxEmbedBatch is the most requests one batchEmbedContents call takes; longer inputs are
// sent in several calls.
const maxEmbedBatch = 100

type embedBatch struct {
	Requests []embedRequest `json:"requests"`
}

type embedRequest struct {
	Model                string  `json:"model"`
	Content              content `json:"content"`
	OutputDimensionality *int    `json:"outputDimensionality,omitempty"`
}

// Embeddings embeds a string or an array of strings with batchEmbedContents and answers in
// OpenAI's list format, with float arrays or, for encoding_format "base64", little-endian
// float32 vectors in base64. Gemini reports no token usage for embeddings; usage is zero
// unless a response carries usageMetadata.
func (c *Client) Embeddings(ctx context.Context, req *llm.EmbeddingsRequest, model string) (*llm.Response, error) {
	name := "models/" + model
	if strings.Contains(model, "/") {
		name = model
	}
	return providers.EmbedInBatches(Type, req, model, maxEmbedBatch, func(texts []string) ([]gjson.Result, int, error) {
		eb := embedBatch{Requests: make([]embedRequest, len(texts))}
		for i, s := range texts {
			eb.Requests[i] = embedRequest{Model: name, Content: content{Parts: []part{textPart(s)}}, OutputDimensionality: req.Dimensions}
		}
		body, err := llm.Encode(eb)
		if err != nil {
			return nil, 0, err
		}
		out, err := c.http.PostJSON(ctx, c.endpoint(model, "batchEmbedContents"), body)
		if err != nil {
			return nil, 0, err
		}
		embs := gjson.GetBytes(out, "embeddings").Array()
		vectors := make([]gjson.Result, len(embs))
		for i, e := range embs {
			vectors[i] = e.Get("values")
		}
		return vectors, int(gjson.GetBytes(out, "usageMetadata.promptTokenCount").Int()), nil
	})
}
