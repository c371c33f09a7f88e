package llm

import (
	"bytes"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Reading a body that ValidJSON accepted, without a second check: every helper here may
// assume valid JSON, and finds the end of a string eight bytes at a time (stringStop), where
// gjson reads byte by byte. A request's messages and tools are mostly long strings.

// skipValue returns the offset just past the value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i+1)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipString(b, i+1)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the offset just past the string whose opening quote ends before b[i].
func skipString(b []byte, i int) int {
	for {
		i = stringStop(b, i)
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte after it (the hex digits of \u are plain bytes)
	}
}

// walk calls f with each member of the object at b[i] ('{'), in order: its key as written
// between the quotes and where its value begins. f returns where the value ends
// (skipValue(b, v) when f does not read it) and whether to go on. walk returns the offset
// just past the object, or -1 when f stopped it.
func walk(b []byte, i int, f func(key []byte, v int) (end int, more bool)) int {
	if i = skipWS(b, i+1); b[i] == '}' {
		return i + 1
	}
	for {
		end := skipString(b, i+1)
		key := b[i+1 : end-1]
		end, more := f(key, skipWS(b, skipWS(b, end)+1)) // the value, past the colon
		if !more {
			return -1
		}
		if i = skipWS(b, end); b[i] == '}' {
			return i + 1
		}
		i = skipWS(b, i+1) // past the comma
	}
}

// each calls f with where each element of the array at b[i] ('[') begins, in order. f
// returns where the element ends and whether to go on. each returns the offset just past
// the array, or -1 when f stopped it.
func each(b []byte, i int, f func(v int) (end int, more bool)) int {
	if i = skipWS(b, i+1); b[i] == ']' {
		return i + 1
	}
	for {
		end, more := f(i)
		if !more {
			return -1
		}
		if i = skipWS(b, end); b[i] == ']' {
			return i + 1
		}
		i = skipWS(b, i+1)
	}
}

// keyIs reports whether key (as written between its quotes) reads name.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key) == name
	}
	return unescapedKey(key) == name
}

// unescapedKey is key (as written between its quotes) with its escapes read.
func unescapedKey(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 {
		return inPlaceString(key)
	}
	q := make([]byte, 0, len(key)+2)
	q = append(append(append(q, '"'), key...), '"')
	return gjson.ParseBytes(q).Str
}

// inPlaceString is b as a string without a copy: valid while b is unchanged.
func inPlaceString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// valueAt is the value at b[v:end] as gjson reads it in place, with Index its offset in b.
func valueAt(b []byte, v, end int) gjson.Result {
	r := gjson.Parse(inPlaceString(b[v:end]))
	r.Index = v
	return r
}

// span is where a value found in an object begins and ends; found is false when there is
// none.
type span struct {
	v, end int
	found  bool
}

// keep keeps the value at b[v:end] in s when s has none yet and key reads name (gjson's
// rule: the first member of a name is the one read).
func (s *span) keep(key []byte, name string, v, end int) {
	if !s.found && keyIs(key, name) {
		*s = span{v, end, true}
	}
}

// nested reads a member of the object at b[obj] that is itself found in an object member
// (gjson's "outer.name"): the first member called name of the first object value of an
// outer member that has one. A member of the outer name whose value is not an object, or
// has no member of that name, is passed over. It returns where the outer value ends.
func (s *span) nested(b []byte, v int, name string) int {
	if s.found || b[v] != '{' {
		return skipValue(b, v)
	}
	return walk(b, v, func(key []byte, v int) (int, bool) {
		end := skipValue(b, v)
		s.keep(key, name, v, end)
		return end, true
	})
}

// str is the string value s, read in place; ok is false when s is not a string.
func (s span) str(b []byte) (string, bool) {
	if !s.found || b[s.v] != '"' {
		return "", false
	}
	raw := b[s.v+1 : s.end-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return inPlaceString(raw), true
	}
	return valueAt(b, s.v, s.end).Str, true
}

// filled reports whether s is a string that is not empty (an escape reads as at least one
// byte), without reading it.
func (s span) filled(b []byte) bool {
	return s.found && b[s.v] == '"' && s.end-s.v > 2
}

// Member finds the first top-level member called name of b, one JSON object that ValidJSON
// accepted (whitespace around it allowed), as gjson's Get(name) does: b[v:end] is its value.
func Member(b []byte, name string) (v, end int, ok bool) {
	at := skipWS(b, 0)
	if at >= len(b) || b[at] != '{' {
		return 0, 0, false
	}
	walk(b, at, func(key []byte, at int) (int, bool) {
		e := skipValue(b, at)
		if keyIs(key, name) {
			v, end, ok = at, e, true
			return e, false
		}
		return e, true
	})
	return v, end, ok
}
