package llm

import (
	"encoding/json"
	"errors"
	"strconv"
)

// MaxRerankDocuments bounds the documents of one rerank request (Cohere's own limit).
const MaxRerankDocuments = 1000

// RerankRequest is a rerank request in Cohere's shape, which Jina, vLLM and Infinity share:
// a query and the documents to order by their relevance to it.
type RerankRequest struct {
	Model string `json:"model"`
	Query string `json:"query"`
	// Documents are the texts to rank; a document sent as an object is taken by its "text".
	Documents       []string `json:"-"`
	TopN            *int     `json:"top_n,omitempty"`
	ReturnDocuments bool     `json:"return_documents,omitempty"`
	MaxTokensPerDoc *int     `json:"max_tokens_per_doc,omitempty"`
	// Raw is the client's body, for upstreams that speak the same shape.
	Raw []byte `json:"-"`
}

// ParseRerankRequest decodes and validates a rerank request.
func ParseRerankRequest(body []byte) (*RerankRequest, error) {
	var in struct {
		Model           *string           `json:"model"`
		Query           *string           `json:"query"`
		Documents       []json.RawMessage `json:"documents"`
		TopN            *int              `json:"top_n"`
		ReturnDocuments *bool             `json:"return_documents"`
		MaxTokensPerDoc *int              `json:"max_tokens_per_doc"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, InvalidRequest(te.Field, "invalid type for '"+te.Field+"': expected "+te.Type.String())
		}
		return nil, InvalidRequest("", "We could not parse the JSON body of your request: "+err.Error())
	}
	switch {
	case in.Model == nil || *in.Model == "":
		return nil, InvalidRequest("model", "you must provide a model parameter")
	case in.Query == nil || *in.Query == "":
		return nil, InvalidRequest("query", "you must provide a query")
	case len(in.Documents) == 0:
		return nil, InvalidRequest("documents", "you must provide at least one document")
	case len(in.Documents) > MaxRerankDocuments:
		return nil, InvalidRequest("documents", "too many documents: at most "+strconv.Itoa(MaxRerankDocuments))
	case in.TopN != nil && *in.TopN < 1:
		return nil, InvalidRequest("top_n", "top_n must be at least 1")
	case in.MaxTokensPerDoc != nil && *in.MaxTokensPerDoc < 1:
		return nil, InvalidRequest("max_tokens_per_doc", "max_tokens_per_doc must be at least 1")
	}
	req := &RerankRequest{Model: *in.Model, Query: *in.Query, TopN: in.TopN, MaxTokensPerDoc: in.MaxTokensPerDoc,
		ReturnDocuments: in.ReturnDocuments != nil && *in.ReturnDocuments, Raw: body, Documents: make([]string, len(in.Documents))}
	for i, d := range in.Documents {
		text, ok := documentText(d)
		if !ok {
			return nil, InvalidRequest("documents", "documents["+strconv.Itoa(i)+"] must be a string or an object with a \"text\" string")
		}
		req.Documents[i] = text
	}
	return req, nil
}

// documentText reads a document: a string, or an object with a "text" string.
func documentText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var o struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Text != nil {
		return *o.Text, true
	}
	return "", false
}

// SearchUnits is what a rerank request costs where the upstream does not say: one unit per
// query with up to 100 documents, as Cohere bills it.
func (r *RerankRequest) SearchUnits() int { return max((len(r.Documents)+99)/100, 1) }
