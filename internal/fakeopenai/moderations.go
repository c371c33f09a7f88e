package fakeopenai

import (
	"net/http"
	"strings"
)

// moderations answers like OpenAI's /moderations: one result per input; an input containing
// "kill" is flagged for violence.
func (s *Server) moderations(w http.ResponseWriter, body map[string]any) {
	model, _ := body["model"].(string)
	if model == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "you must provide a model parameter")
		return
	}
	var inputs []string
	switch in := body["input"].(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, v := range in {
			if t, ok := v.(string); ok {
				inputs = append(inputs, t)
			}
		}
	}
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
