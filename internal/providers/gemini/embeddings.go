package gemini

import (
	"context"
	"fmt"
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
	if err := providers.CheckEmbeddingParams(Type, req); err != nil {
		return nil, err
	}
	texts, err := providers.EmbeddingInputs(Type, req.Input)
	if err != nil {
		return nil, err
	}
	name := "models/" + model
	if strings.Contains(model, "/") {
		name = model
	}
	vectors := make([]gjson.Result, 0, len(texts))
	prompt := 0
	for start := 0; start < len(texts); start += maxEmbedBatch {
		batch := texts[start:min(start+maxEmbedBatch, len(texts))]
		eb := embedBatch{Requests: make([]embedRequest, len(batch))}
		for i, s := range batch {
			eb.Requests[i] = embedRequest{Model: name, Content: content{Parts: []part{textPart(s)}}, OutputDimensionality: req.Dimensions}
		}
		body, err := providers.Marshal(eb)
		if err != nil {
			return nil, err
		}
		out, err := c.http.PostJSON(ctx, c.endpoint(model, "batchEmbedContents"), body)
		if err != nil {
			return nil, err
		}
		embs := gjson.GetBytes(out, "embeddings").Array()
		if len(embs) != len(batch) {
			return nil, malformed(fmt.Errorf("gemini: %d embeddings for %d inputs: %.200s", len(embs), len(batch), out))
		}
		for _, e := range embs {
			vectors = append(vectors, e.Get("values"))
		}
		prompt += int(gjson.GetBytes(out, "usageMetadata.promptTokenCount").Int())
	}
	b, err := providers.EmbeddingList(Type, vectors, req.EncodingFormat == "base64", model, prompt)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: llm.Usage{PromptTokens: prompt, TotalTokens: prompt}}, nil
}
