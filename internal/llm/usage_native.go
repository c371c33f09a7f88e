package llm

import "github.com/tidwall/gjson"

// ParseResponsesUsage reads the "usage" object of an OpenAI Responses API response
// (input_tokens, output_tokens and their details) as canonical usage (zero when it is not
// an object), in one pass over its keys; a key given twice counts the first time, as a path
// lookup finds it.
func ParseResponsesUsage(u gjson.Result) Usage {
	if !u.IsObject() {
		return Usage{}
	}
	var in, out, total, inDetails, outDetails gjson.Result
	u.ForEach(func(k, v gjson.Result) bool {
		var at *gjson.Result
		switch k.Str {
		case "input_tokens":
			at = &in
		case "output_tokens":
			at = &out
		case "total_tokens":
			at = &total
		case "input_tokens_details":
			at = &inDetails
		case "output_tokens_details":
			at = &outDetails
		default:
			return true
		}
		if !at.Exists() {
			*at = v
		}
		return true
	})
	usage := Usage{PromptTokens: int(in.Int()), CompletionTokens: int(out.Int()), TotalTokens: int(total.Int())}
	if ct := inDetails.Get("cached_tokens"); ct.Exists() && ct.Type != gjson.Null {
		usage.PromptTokensDetails = &PromptTokensDetails{CachedTokens: int(ct.Int())}
	}
	if rt := outDetails.Get("reasoning_tokens"); rt.Exists() && rt.Type != gjson.Null {
		usage.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: int(rt.Int())}
	}
	if usage.TotalTokens == 0 {
		usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	}
	return usage
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
