package llm

import "github.com/tidwall/gjson"

// ParseResponsesUsage reads the "usage" object of an OpenAI Responses API response
// (input_tokens, output_tokens and their details) as canonical usage (zero when it is not
// an object).
func ParseResponsesUsage(u gjson.Result) Usage {
	if !u.IsObject() {
		return Usage{}
	}
	out := Usage{
		PromptTokens:     int(u.Get("input_tokens").Int()),
		CompletionTokens: int(u.Get("output_tokens").Int()),
		TotalTokens:      int(u.Get("total_tokens").Int()),
	}
	if ct := u.Get("input_tokens_details.cached_tokens"); ct.Exists() && ct.Type != gjson.Null {
		out.PromptTokensDetails = &PromptTokensDetails{CachedTokens: int(ct.Int())}
	}
	if rt := u.Get("output_tokens_details.reasoning_tokens"); rt.Exists() && rt.Type != gjson.Null {
		out.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: int(rt.Int())}
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

// ParseMessagesUsage reads the "usage" object of an Anthropic Messages answer (or of its
// message_start event) as canonical usage: cache reads and writes count as prompt tokens,
// cache reads as cached ones.
func ParseMessagesUsage(u gjson.Result) Usage {
	read := int(u.Get("cache_read_input_tokens").Int())
	out := Usage{PromptTokens: int(u.Get("input_tokens").Int()) + read + int(u.Get("cache_creation_input_tokens").Int()),
		CompletionTokens: int(u.Get("output_tokens").Int())}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	if read > 0 {
		out.PromptTokensDetails = &PromptTokensDetails{CachedTokens: read}
	}
	return out
}
