package respcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
)

// Request is what a cached answer is keyed by.
type Request struct {
	API   string // the client API: "chat", "messages", "responses", "embeddings", …
	Alias string
	// Scope is the virtual key's id, or empty when the alias shares its cached answers.
	Scope string
	// Stream: a streamed answer is cached apart from a JSON one (each replays in its shape);
	// the stream flag itself is not part of the hashed request.
	Stream bool
	Body   []byte // the client's JSON request
}

// ignored are the request fields that do not change the answer: who asks and how it is
// delivered.
var ignored = []string{"user", "stream", "metadata"}

// Key returns the key of r's answer: a SHA-256 over the API, alias, scope, delivery and the
// canonical request (the body's JSON with the ignored fields removed, object keys sorted,
// numbers normalised and whitespace dropped), so requests that differ only in those
// respects share an answer.
func Key(r Request) (string, error) {
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return "", fmt.Errorf("respcache: request is not a JSON object: %w", err)
	}
	for _, f := range ignored {
		delete(v, f)
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("respcache: canonical request: %w", err)
	}
	h := sha256.New()
	mode := "json"
	if r.Stream {
		mode = "stream"
	}
	for _, s := range []string{r.API, r.Alias, r.Scope, mode} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Deterministic reports whether a request asks for a repeatable answer: its temperature is
// set to 0. A request without one gets the provider's default, which is above 0.
func Deterministic(body []byte) bool {
	t := gjson.GetBytes(body, "temperature")
	return t.Type == gjson.Number && t.Num == 0
}
