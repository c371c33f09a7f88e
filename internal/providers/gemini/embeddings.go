package gemini

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
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
	if err := checkEmbeddingParams(req); err != nil {
		return nil, err
	}
	texts, err := embeddingInputs(req.Input)
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
		body, err := marshal(eb)
		if err != nil {
			return nil, err
		}
		out, err := c.postJSON(ctx, c.endpoint(model, "batchEmbedContents"), body)
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
	b, err := embeddingList(vectors, req.EncodingFormat == "base64", model, prompt)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: llm.Usage{PromptTokens: prompt, TotalTokens: prompt}}, nil
}

// checkEmbeddingParams refuses parameters Gemini cannot honour.
func checkEmbeddingParams(req *llm.EmbeddingsRequest) error {
	if len(req.Raw) == 0 || !gjson.ValidBytes(req.Raw) {
		return nil
	}
	var err error
	gjson.ParseBytes(req.Raw).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model", "input", "encoding_format", "dimensions", "user":
			return true
		}
		if v.Type == gjson.Null {
			return true
		}
		err = llm.InvalidRequest(k.Str, k.Str+" is not supported by gemini")
		return false
	})
	return err
}

// embeddingInputs reads OpenAI's input: a string or an array of strings. Token arrays are
// refused: Gemini takes text only.
func embeddingInputs(raw json.RawMessage) ([]string, error) {
	r := gjson.ParseBytes(bytes.TrimSpace(raw))
	if r.Type == gjson.String {
		return []string{r.Str}, nil
	}
	if !r.IsArray() {
		return nil, llm.InvalidRequest("input", "input must be a string or an array of strings")
	}
	items := r.Array()
	if len(items) == 0 {
		return nil, llm.InvalidRequest("input", "input must not be empty")
	}
	texts := make([]string, len(items))
	for i, it := range items {
		if it.Type != gjson.String {
			return nil, llm.InvalidRequest("input", "token arrays are not supported by gemini: send text")
		}
		texts[i] = it.Str
	}
	return texts, nil
}

type embeddingObject struct {
	Object    string          `json:"object"`
	Index     int             `json:"index"`
	Embedding json.RawMessage `json:"embedding"`
}

type embeddingListBody struct {
	Object string            `json:"object"`
	Data   []embeddingObject `json:"data"`
	Model  string            `json:"model"`
	Usage  embeddingUsage    `json:"usage"`
}

type embeddingUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// embeddingList writes OpenAI's embeddings list; with b64 each vector is the base64 of its
// little-endian float32 values, as OpenAI sends for encoding_format "base64".
func embeddingList(vectors []gjson.Result, b64 bool, model string, prompt int) ([]byte, error) {
	out := embeddingListBody{Object: "list", Data: make([]embeddingObject, len(vectors)), Model: model,
		Usage: embeddingUsage{PromptTokens: prompt, TotalTokens: prompt}}
	for i, v := range vectors {
		vals := v.Array()
		if !v.IsArray() || len(vals) == 0 {
			return nil, malformed(fmt.Errorf("gemini: embedding %d is not an array of numbers", i))
		}
		var emb []byte
		if b64 {
			buf := make([]byte, 4*len(vals))
			for j, x := range vals {
				if x.Type != gjson.Number {
					return nil, malformed(fmt.Errorf("gemini: embedding %d holds a %s", i, x.Type))
				}
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(float32(x.Num)))
			}
			emb, _ = json.Marshal(base64.StdEncoding.EncodeToString(buf))
		} else {
			var b bytes.Buffer
			b.WriteByte('[')
			for j, x := range vals {
				if x.Type != gjson.Number {
					return nil, malformed(fmt.Errorf("gemini: embedding %d holds a %s", i, x.Type))
				}
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(x.Raw)
			}
			b.WriteByte(']')
			emb = b.Bytes()
		}
		out.Data[i] = embeddingObject{Object: "embedding", Index: i, Embedding: emb}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("gemini: encode embeddings: %w", err)
	}
	return b, nil
}
