package fakeopenai

import (
	"net/http"
	"strings"
)

// moderations answers like OpenAI's /moderations: one result per input; an input containing
// "kill" is flagged for violence.
func (s *Server) moderations(w http.ResponseWriter, model string, body map[string]any) {
	inputs := inputList(body["input"], func(v any) (string, bool) { t, ok := v.(string); return t, ok })
	results := make([]map[string]any, 0, len(inputs))
	for _, in := range inputs {
		violent := strings.Contains(strings.ToLower(in), "kill")
		score := 0.001
		if violent {
			score = 0.97
		}
		results = append(results, map[string]any{
			"flagged":         violent,
			"categories":      map[string]bool{"violence": violent, "harassment": false},
			"category_scores": map[string]float64{"violence": score, "harassment": 0.001},
		})
	}
	writeJSON(w, map[string]any{"id": "modr-fake1", "model": model, "results": results})
}

// needsModel reports whether a request to path is refused (400) when it names no model.
func needsModel(path string) bool {
	for _, p := range []string{"/chat/completions", "/responses", "/moderations"} {
		if strings.HasSuffix(path, p) {
			return true
		}
	}
	return false
}

// inputList is an "input" field as a list: a string is one input, and of a list the items
// that item gives a text for.
func inputList(in any, item func(any) (string, bool)) []string {
	switch in := in.(type) {
	case string:
		return []string{in}
	case []any:
		var out []string
		for _, v := range in {
			if t, ok := item(v); ok {
				out = append(out, t)
			}
		}
		return out
	}
	return nil
}
