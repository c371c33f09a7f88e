package llm

import (
	"bytes"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Reading JSON without gjson's byte-by-byte loop: the end of a string is found eight bytes
// at a time (stringStop). A request's messages and tools, and a stream chunk's text, are
// mostly strings. The readers give gjson's answers on JSON that ValidJSON accepted; on other
// bytes their answers mean nothing, but they never read past the slice. A scan with check
// set validates what it reads as well, so that a request is read and checked in one pass.

// skipValue returns the offset just past the value at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i+1)
	case '{', '[':
		depth := 0
		for i < len(b) {
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
		return len(b)
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
		if i = stringStop(b, i); i >= len(b) {
			return len(b)
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte after it (the hex digits of \u are plain bytes)
	}
}

// scan reads one JSON text with walk, each and skip. With check it also validates every
// byte it reads as ValidJSON does, and bad tells whether it met one that is not JSON; without,
// it takes the text to be valid (see above).
type scan struct {
	b     []byte
	check bool
	bad   bool
}

// skip returns the offset just past the value at b[i] (len(b) when check finds it invalid).
func (s *scan) skip(i int) int {
	if !s.check {
		return skipValue(s.b, i)
	}
	end, ok := validValue(s.b, i)
	if !ok {
		s.bad = true
		return len(s.b)
	}
	return end
}

// key returns the offset just past the key whose opening quote is at b[i].
func (s *scan) key(i int) int {
	if !s.check {
		return skipString(s.b, i+1)
	}
	end, ok := validString(s.b, i+1)
	if !ok {
		s.bad = true
		return len(s.b)
	}
	return end
}

// walk calls f with each member of the object at b[i] ('{'), in order: the offset of its
// key's opening quote, its key as written between the quotes, and where its value begins.
// f returns where the value ends (skip(v) when f does not read it) and whether to go on.
// walk returns the offset just past the object, or -1 when f stopped it or the object is
// not one (bad).
func (s *scan) walk(i int, f func(keyAt int, key []byte, v int) (end int, more bool)) int {
	b := s.b
	if i = skipWS(b, i+1); i < len(b) && b[i] == '}' {
		return i + 1
	}
	for i < len(b) && b[i] == '"' {
		end := s.key(i)
		colon := skipWS(b, end)
		if end < i+2 || colon >= len(b) || b[colon] != ':' {
			break
		}
		v := skipWS(b, colon+1)
		if v >= len(b) {
			break
		}
		end, more := f(i, b[i+1:end-1], v)
		if !more || s.bad {
			return -1
		}
		if i = skipWS(b, end); i < len(b) && b[i] == '}' {
			return i + 1
		}
		if i >= len(b) || b[i] != ',' {
			break
		}
		i = skipWS(b, i+1) // past the comma
	}
	s.bad = true
	return -1
}

// each calls f with where each element of the array at b[i] ('[') begins, in order. f
// returns where the element ends and whether to go on. each returns the offset just past
// the array, or -1 when f stopped it or the array is not one (bad).
func (s *scan) each(i int, f func(v int) (end int, more bool)) int {
	b := s.b
	if i = skipWS(b, i+1); i < len(b) && b[i] == ']' {
		return i + 1
	}
	for i < len(b) {
		end, more := f(i)
		if !more || s.bad {
			return -1
		}
		if i = skipWS(b, end); i < len(b) && b[i] == ']' {
			return i + 1
		}
		if i >= len(b) || b[i] != ',' {
			break
		}
		i = skipWS(b, i+1)
	}
	s.bad = true
	return -1
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

// nested reads, with sc, a member found in the value at v of an outer member (gjson's
// "outer.name"): the first member called name of the first object value of an outer member
// that has one. A member of the outer name whose value is not an object, or has no member of
// that name, is passed over. It returns where the outer value ends.
func (s *span) nested(sc *scan, v int, name string) int {
	if s.found || sc.b[v] != '{' {
		return sc.skip(v)
	}
	return sc.walk(v, func(_ int, key []byte, v int) (int, bool) {
		end := sc.skip(v)
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

// Members calls f with each member of b, one JSON object (whitespace around it allowed), in
// order, until f returns false: the offset of its key's opening quote, its key as written
// between the quotes (Key reads it), and where its value begins and ends.
func Members(b []byte, f func(keyAt int, key []byte, v, end int) bool) {
	at := skipWS(b, 0)
	if at >= len(b) || b[at] != '{' {
		return
	}
	sc := scan{b: b}
	sc.walk(at, func(keyAt int, key []byte, v int) (int, bool) {
		end := skipValue(b, v)
		return end, f(keyAt, key, v, end)
	})
}

// Key is a member's key as Members gives it, with its escapes read: a view of the JSON
// (valid while it is unchanged) when it has none.
func Key(key []byte) string { return unescapedKey(key) }

// ValueAt is the value at b[v:end], read in place by gjson (valid while b is unchanged), with
// its offset in b as its Index.
func ValueAt(b []byte, v, end int) gjson.Result { return valueAt(b, v, end) }

// Member finds the first top-level member called name of b, one JSON object (whitespace
// around it allowed), as gjson's Get(name) does: b[v:end] is its value.
func Member(b []byte, name string) (v, end int, ok bool) {
	Members(b, func(_ int, key []byte, at, e int) bool {
		if keyIs(key, name) {
			v, end, ok = at, e, true
		}
		return !ok
	})
	return v, end, ok
}
