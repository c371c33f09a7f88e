package providers

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Malformed is a provider answer that cannot be read: retryable, as another deployment may do.
func Malformed(provider string, cause error) *llm.Error {
	return llm.Upstream(provider+" returned a malformed response", cause).Retry()
}

// CheckEmbeddingParams refuses the OpenAI embeddings parameters a provider cannot honour
// (everything but model, input, encoding_format, dimensions and user).
func CheckEmbeddingParams(provider string, req *llm.EmbeddingsRequest) error {
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
		err = llm.InvalidRequest(k.Str, k.Str+" is not supported by "+provider)
		return false
	})
	return err
}

// EmbeddingInputs reads OpenAI's input: a string or an array of strings. Token arrays are
// refused: the provider takes text only.
func EmbeddingInputs(provider string, raw json.RawMessage) ([]string, error) {
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
			return nil, llm.InvalidRequest("input", "token arrays are not supported by "+provider+": send text")
		}
		texts[i] = it.Str
	}
	return texts, nil
}

// EmbedInBatches serves an OpenAI embeddings request from an upstream that takes at most max
// texts a call: embed sends one batch and returns one vector per text with the prompt tokens
// it reports. The answer is OpenAI's embeddings list (base64 when the client asked for it).
func EmbedInBatches(provider string, req *llm.EmbeddingsRequest, model string, max int,
	embed func(texts []string) (vectors []gjson.Result, promptTokens int, err error)) (*llm.Response, error) {
	if err := CheckEmbeddingParams(provider, req); err != nil {
		return nil, err
	}
	texts, err := EmbeddingInputs(provider, req.Input)
	if err != nil {
		return nil, err
	}
	vectors := make([]gjson.Result, 0, len(texts))
	prompt := 0
	for start := 0; start < len(texts); start += max {
		batch := texts[start:min(start+max, len(texts))]
		vs, n, err := embed(batch)
		if err != nil {
			return nil, err
		}
		if len(vs) != len(batch) {
			return nil, Malformed(provider, fmt.Errorf("%s: %d embeddings for %d inputs", provider, len(vs), len(batch)))
		}
		vectors = append(vectors, vs...)
		prompt += n
	}
	b, err := EmbeddingList(provider, vectors, req.EncodingFormat == "base64", model, prompt)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: llm.Usage{PromptTokens: prompt, TotalTokens: prompt}}, nil
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

// EmbeddingList writes OpenAI's embeddings list from a provider's vectors; with b64 each vector is the base64 of its
// little-endian float32 values, as OpenAI sends for encoding_format "base64".
func EmbeddingList(provider string, vectors []gjson.Result, b64 bool, model string, prompt int) ([]byte, error) {
	out := embeddingListBody{Object: "list", Data: make([]embeddingObject, len(vectors)), Model: model,
		Usage: embeddingUsage{PromptTokens: prompt, TotalTokens: prompt}}
	for i, v := range vectors {
		vals := v.Array()
		if !v.IsArray() || len(vals) == 0 {
			return nil, Malformed(provider, fmt.Errorf("%s: embedding %d is not an array of numbers", provider, i))
		}
		var emb []byte
		if b64 {
			buf := make([]byte, 4*len(vals))
			for j, x := range vals {
				if x.Type != gjson.Number {
					return nil, Malformed(provider, fmt.Errorf("%s: embedding %d holds a %s", provider, i, x.Type))
				}
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(float32(x.Num)))
			}
			emb, _ = json.Marshal(base64.StdEncoding.EncodeToString(buf))
		} else {
			var b bytes.Buffer
			b.WriteByte('[')
			for j, x := range vals {
				if x.Type != gjson.Number {
					return nil, Malformed(provider, fmt.Errorf("%s: embedding %d holds a %s", provider, i, x.Type))
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
		return nil, fmt.Errorf("%s: encode embeddings: %w", provider, err)
	}
	return b, nil
}
