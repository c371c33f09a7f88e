package backend

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A field reader reads one JSON field of a create or update request into its destination;
// name labels its error. The constructors below make one per type.
type fieldReader func(name string, raw json.RawMessage) error

// applyFields reads each field of f with its reader in readers. A field in readOnly is
// accepted and ignored; any other field without a reader is an error.
func applyFields(f map[string]json.RawMessage, readers map[string]fieldReader, readOnly ...string) error {
	for name, raw := range f {
		read, ok := readers[name]
		if !ok {
			if slices.Contains(readOnly, name) {
				continue
			}
			return unknownField(name)
		}
		if err := read(name, raw); err != nil {
			return err
		}
	}
	return nil
}

func strField(dst *string) fieldReader {
	return func(name string, raw json.RawMessage) error { return readStr(name, raw, dst) }
}

func boolField(dst *bool) fieldReader {
	return func(name string, raw json.RawMessage) error { return readBool(name, raw, dst) }
}

func intField(dst *int, minV, maxV int) fieldReader {
	return func(name string, raw json.RawMessage) error { return readInt(name, raw, dst, minV, maxV) }
}

func optIntField(dst **int, minV, maxV int) fieldReader {
	return func(name string, raw json.RawMessage) error { return readOptInt(name, raw, dst, minV, maxV) }
}

// limitField reads an optional rate limit of a key; its error names what the limit counts, in
// the words the admin UI uses ("requests per minute").
func limitField(dst **int, maxV int, what string) fieldReader {
	return func(name string, raw json.RawMessage) error {
		if readOptInt(name, raw, dst, 1, maxV) != nil {
			return invalid(name, what+" ("+name+") must be a whole number from 1 to "+
				strconv.Itoa(maxV)+", or null for no limit")
		}
		return nil
	}
}

func floatField(dst *float64) fieldReader {
	return func(name string, raw json.RawMessage) error { return readFloat(name, raw, dst) }
}

func optFloatField(dst **float64) fieldReader {
	return func(name string, raw json.RawMessage) error { return readOptFloat(name, raw, dst) }
}

func urlField(dst *string) fieldReader {
	return func(name string, raw json.RawMessage) error { return readURL(name, raw, dst) }
}

// Typed readers of one JSON field; each names the field in its error.

func readStr(name string, raw json.RawMessage, dst *string) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be a string")
	}
	*dst = strings.TrimSpace(*dst)
	return nil
}

func readBool(name string, raw json.RawMessage, dst *bool) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be true or false")
	}
	return nil
}

func readInt(name string, raw json.RawMessage, dst *int, minV, maxV int) error {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != float64(int(f)) {
		return invalid(name, name+" must be an integer")
	}
	if int(f) < minV || int(f) > maxV {
		return invalid(name, name+" must be between "+itoa(minV)+" and "+itoa(maxV))
	}
	*dst = int(f)
	return nil
}

func readOptInt(name string, raw json.RawMessage, dst **int, minV, maxV int) error {
	if isNull(raw) {
		*dst = nil
		return nil
	}
	var v int
	if err := readInt(name, raw, &v, minV, maxV); err != nil {
		return err
	}
	*dst = &v
	return nil
}

func readFloat(name string, raw json.RawMessage, dst *float64) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be a number")
	}
	if *dst < 0 {
		return invalid(name, name+" must not be negative")
	}
	return nil
}

func readOptFloat(name string, raw json.RawMessage, dst **float64) error {
	if isNull(raw) {
		*dst = nil
		return nil
	}
	var v float64
	if err := readFloat(name, raw, &v); err != nil {
		return err
	}
	*dst = &v
	return nil
}

func readOptTime(name string, raw json.RawMessage, dst **time.Time) error {
	if isNull(raw) {
		*dst = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return invalid(name, name+" must be an RFC 3339 time or null")
	}
	if s == "" {
		*dst = nil
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return invalid(name, name+" must be an RFC 3339 time such as 2026-12-31T23:59:59Z")
	}
	t = t.UTC()
	*dst = &t
	return nil
}

func readStrings(name string, raw json.RawMessage, dst *[]string) error {
	if isNull(raw) {
		*dst = []string{}
		return nil
	}
	var v []string
	if err := json.Unmarshal(raw, &v); err != nil {
		return invalid(name, name+" must be an array of strings")
	}
	out := make([]string, 0, len(v))
	for _, s := range v {
		s = strings.TrimSpace(s)
		if s == "" {
			return invalid(name, name+" must not contain empty strings")
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}

func readURL(name string, raw json.RawMessage, dst *string) error {
	if err := readStr(name, raw, dst); err != nil {
		return err
	}
	if *dst == "" {
		return nil
	}
	u, err := url.Parse(*dst)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(name, name+" must be an http or https URL")
	}
	*dst = strings.TrimRight(*dst, "/")
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func unknownField(name string) error { return invalid(name, "unknown field "+`"`+name+`"`) }

func itoa(n int) string { return strconv.Itoa(n) }
