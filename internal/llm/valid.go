package llm

import (
	"encoding/binary"
	"math/bits"
)

// ValidJSON reports whether b is one JSON value, with whitespace around it allowed. It
// accepts exactly what gjson.ValidBytes accepts (RFC 8259 syntax; strings are not checked
// for valid UTF-8) and is faster on text: it looks for the end of a string eight bytes at a
// time. Request bodies and stream chunks are mostly text.
func ValidJSON(b []byte) bool {
	i := skipWS(b, 0)
	i, ok := validValue(b, i)
	return ok && skipWS(b, i) == len(b)
}

// ValidObject reports whether b is one JSON object, with whitespace around it allowed: the
// check of request bodies, upstream answers and stream events that must be objects.
func ValidObject(b []byte) bool {
	i := skipWS(b, 0)
	return i < len(b) && b[i] == '{' && ValidJSON(b[i:])
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// validValue checks the value at b[i] (no whitespace before it) and returns the offset just
// past it.
func validValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		return validItems(b, i+1, '}', validMember)
	case c == '[':
		return validItems(b, i+1, ']', validValue)
	case c == '"':
		return validString(b, i+1)
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(b, i)
	case c == 't':
		return validWord(b, i, "true")
	case c == 'f':
		return validWord(b, i, "false")
	case c == 'n':
		return validWord(b, i, "null")
	}
	return i, false
}

// validItems checks the members of an object or the elements of an array, whose opening
// byte ends before b[i], each read by item, up to closing.
func validItems(b []byte, i int, closing byte, item func([]byte, int) (int, bool)) (int, bool) {
	if i = skipWS(b, i); i < len(b) && b[i] == closing {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = item(b, i); !ok {
			return i, false
		}
		switch i = skipWS(b, i); {
		case i >= len(b):
			return i, false
		case b[i] == closing:
			return i + 1, true
		case b[i] != ',':
			return i, false
		}
		i = skipWS(b, i+1)
	}
}

// validMember checks an object's member at b[i]: a key, a colon and a value.
func validMember(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, ok := validString(b, i+1)
	if !ok {
		return i, false
	}
	if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
		return i, false
	}
	return validValue(b, skipWS(b, i+1))
}

// validString checks a string whose opening quote ends before b[i].
func validString(b []byte, i int) (int, bool) {
	for {
		i = stringStop(b, i)
		switch {
		case i >= len(b), b[i] < ' ':
			return i, false
		case b[i] == '"':
			return i + 1, true
		}
		// A backslash: one escape.
		if i++; i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
				return i, false
			}
			i += 5
		default:
			return i, false
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringStop returns the offset of the first byte at or after i that ends a run of plain
// string bytes (a quote, a backslash or a control character), or len(b). Eight bytes are
// tested at once: in each test the lowest flagged byte is a true match (a false one only
// follows a true one), so the lowest flag of the three tests is the first stop.
func stringStop(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ ('"' * ones)
		s := x ^ ('\\' * ones)
		m := (q-ones)&^q | (s-ones)&^s | (x-' '*ones)&^x
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < ' ' {
			return i
		}
	}
	return i
}

// validNumber checks the number at b[i]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b) || b[i] < '0' || b[i] > '9':
		return i, false
	case b[i] == '0':
		i++
	default:
		i = skipDigits(b, i)
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
		i = skipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
		i = skipDigits(b, i)
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// validWord checks the literal w at b[i].
func validWord(b []byte, i int, w string) (int, bool) {
	if len(b)-i < len(w) || string(b[i:i+len(w)]) != w {
		return i, false
	}
	return i + len(w), true
}
