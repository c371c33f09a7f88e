package llm

import (
	"bytes"
	"encoding/json"
)

// Encode is json.Marshal without HTML escaping, on one line: a body or event Conduit writes
// keeps text such as "<b>" as the model or the client wrote it.
func Encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
