package llm

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// InPlace parses b for gjson without copying it: the result and every value found in it
// point into b, so they are valid only while b is unchanged (a stream chunk until the next
// read). Strings taken from them must be copied to outlive b. Results keep their offsets in
// b (Index), for SpliceString.
func InPlace(b []byte) gjson.Result {
	if len(b) == 0 {
		return gjson.Result{}
	}
	return gjson.Parse(unsafe.String(&b[0], len(b)))
}

// CloneString copies s, a string value found in place, so that it outlives the body, and
// reads it as encoding/json does: each byte that is not part of valid UTF-8 becomes U+FFFD.
func CloneString(s string) string {
	if utf8.ValidString(s) {
		return strings.Clone(s)
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // an invalid byte decodes as RuneError, one byte long
		i += n
	}
	return string(b)
}
