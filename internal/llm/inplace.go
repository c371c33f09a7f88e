package llm

import (
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
