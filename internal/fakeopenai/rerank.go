package fakeopenai

import (
	"net/http"
	"sort"
	"strings"
)

// rerank answers like Jina's /v1/rerank: documents scored by how many of the query's words
// they contain, best first, top_n of them, each with its text when return_documents; usage
// counts a token per word.
func (s *Server) rerank(w http.ResponseWriter, body map[string]any) {
	model, _ := body["model"].(string)
	query, _ := body["query"].(string)
	docs, _ := body["documents"].([]any)
	if model == "" || query == "" || len(docs) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "model, query and documents are required")
		return
	}
	type result struct {
		Index    int               `json:"index"`
		Score    float64           `json:"relevance_score"`
		Document map[string]string `json:"document,omitempty"`
	}
	words := strings.Fields(strings.ToLower(query))
	tokens := len(words)
	results := make([]result, len(docs))
	for i, d := range docs {
		text, _ := d.(string)
		if o, ok := d.(map[string]any); ok {
			text, _ = o["text"].(string)
		}
		tokens += len(strings.Fields(text))
		hits := 0
		for _, q := range words {
			if strings.Contains(strings.ToLower(text), q) {
				hits++
			}
		}
		results[i] = result{Index: i, Score: float64(hits) / float64(len(words))}
		if ret, _ := body["return_documents"].(bool); ret {
			results[i].Document = map[string]string{"text": text}
		}
	}
	sort.SliceStable(results, func(a, b int) bool { return results[a].Score > results[b].Score })
	if n, ok := body["top_n"].(float64); ok && int(n) < len(results) {
		results = results[:int(n)]
	}
	writeJSON(w, map[string]any{"model": model, "usage": map[string]int{"total_tokens": tokens}, "results": results})
}
