package llm

import (
	"fmt"
	"testing"

	"github.com/tidwall/gjson"
)

func TestParseResponsesUsage(t *testing.T) {
	tests := []struct {
		name, usage string
		want        string // Usage as fmtUsage prints it
	}{
		{"openai", `{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":15}`,
			"10 5 15 cached=4 reasoning=2"},
		{"no details", `{"input_tokens":10,"output_tokens":5,"total_tokens":15}`, "10 5 15 cached=- reasoning=-"},
		{"null details", `{"input_tokens":10,"input_tokens_details":null,"output_tokens":5,"output_tokens_details":{"reasoning_tokens":null}}`,
			"10 5 15 cached=- reasoning=-"},
		{"details not objects", `{"input_tokens":1,"input_tokens_details":3,"output_tokens":2,"output_tokens_details":"x"}`, "1 2 3 cached=- reasoning=-"},
		{"no total", `{"output_tokens":7,"input_tokens":3}`, "3 7 10 cached=- reasoning=-"},
		{"key given twice", `{"input_tokens":3,"input_tokens":9,"output_tokens":1,"total_tokens":4,"input_tokens_details":{"cached_tokens":1},"input_tokens_details":{"cached_tokens":2}}`,
			"3 1 4 cached=1 reasoning=-"},
		{"escaped key", `{"input\u005ftokens":6,"output_tokens":1}`, "6 1 7 cached=- reasoning=-"},
		{"other keys", `{"cost":{"input_tokens":99},"input_tokens":2,"output_tokens":2}`, "2 2 4 cached=- reasoning=-"},
		{"null", `null`, "0 0 0 cached=- reasoning=-"},
		{"array", `[1,2]`, "0 0 0 cached=- reasoning=-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtUsage(ParseResponsesUsage(gjson.Parse(tt.usage))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func fmtUsage(u Usage) string {
	cached, reasoning := "-", "-"
	if d := u.PromptTokensDetails; d != nil {
		cached = fmt.Sprint(d.CachedTokens)
	}
	if d := u.CompletionTokensDetails; d != nil {
		reasoning = fmt.Sprint(d.ReasoningTokens)
	}
	return fmt.Sprintf("%d %d %d cached=%s reasoning=%s", u.PromptTokens, u.CompletionTokens, u.TotalTokens, cached, reasoning)
}
