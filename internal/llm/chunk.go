package llm

import (
	"fmt"

	"github.com/tidwall/gjson"
)

// ParseChunk reads a streamed chat.completion.chunk, as the translators of a chat stream into
// another API's events do; a chunk that is not a JSON object is a malformed upstream answer.
func ParseChunk(chunk []byte) (gjson.Result, error) {
	r := gjson.ParseBytes(chunk)
	if !gjson.ValidBytes(chunk) || !r.IsObject() {
		return r, malformedAnswer(fmt.Errorf("stream chunk is not a JSON object: %.200s", chunk))
	}
	return r, nil
}

// ParseCompletion reads a chat.completion for the translators of chat answers into another
// API's: the completion and its first choice; one that is not a JSON object or has no choice
// is a malformed upstream answer.
func ParseCompletion(completion []byte) (r, choice gjson.Result, err error) {
	r = gjson.ParseBytes(completion)
	if !gjson.ValidBytes(completion) || !r.IsObject() {
		return r, choice, malformedAnswer(fmt.Errorf("chat completion is not a JSON object: %.200s", completion))
	}
	if choice = r.Get("choices.0"); !choice.IsObject() {
		return r, choice, malformedAnswer(fmt.Errorf("chat completion has no choices: %.200s", completion))
	}
	return r, choice, nil
}

func malformedAnswer(cause error) *Error {
	return Upstream("the upstream returned a malformed response", cause)
}

// EachToolCall calls f for each tool-call delta of a chunk's choice delta, with the key of
// its call: its index, or its position in the chunk when it has none.
func EachToolCall(delta gjson.Result, f func(key int64, tc gjson.Result)) {
	pos := int64(0)
	delta.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		key := pos
		if v := tc.Get("index"); v.Type == gjson.Number {
			key = v.Int()
		}
		f(key, tc)
		pos++
		return true
	})
}
