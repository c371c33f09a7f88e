package cohere

import (
	"context"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// rerankRequest is the body of POST /v2/rerank. v2 has no return_documents: the documents
// are put back into the answer here when the client asked for them.
type rerankRequest struct {
	Model           string   `json:"model"`
	Query           string   `json:"query"`
	Documents       []string `json:"documents"`
	TopN            *int     `json:"top_n,omitempty"`
	MaxTokensPerDoc *int     `json:"max_tokens_per_doc,omitempty"`
}

// Rerank orders the documents by relevance with /v2/rerank. The answer is Cohere's own
// ({"id","results":[{"index","relevance_score"}],"meta":{"billed_units":{"search_units"}}}),
// each result with its document's text when req.ReturnDocuments.
func (c *Client) Rerank(ctx context.Context, req *llm.RerankRequest, model string) (*llm.Response, error) {
	body, err := llm.Encode(rerankRequest{Model: model, Query: req.Query, Documents: req.Documents,
		TopN: req.TopN, MaxTokensPerDoc: req.MaxTokensPerDoc})
	if err != nil {
		return nil, err
	}
	out, err := c.http.PostJSON(ctx, c.base+"/rerank", body)
	if err != nil {
		return nil, err
	}
	results := gjson.GetBytes(out, "results")
	if !results.IsArray() {
		return nil, malformed(nil)
	}
	if req.ReturnDocuments {
		for i, r := range results.Array() {
			n := int(r.Get("index").Int())
			if n < 0 || n >= len(req.Documents) {
				return nil, malformed(nil)
			}
			if out, err = sjson.SetBytes(out, "results."+strconv.Itoa(i)+".document.text", req.Documents[n]); err != nil {
				return nil, malformed(err)
			}
		}
	}
	return &llm.Response{Body: out}, nil
}
