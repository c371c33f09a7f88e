package backend

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Typed readers of one JSON field; each names the field in its error.

func strField(name string, raw json.RawMessage, dst *string) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be a string")
	}
	*dst = strings.TrimSpace(*dst)
	return nil
}

func boolField(name string, raw json.RawMessage, dst *bool) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be true or false")
	}
	return nil
}

func intField(name string, raw json.RawMessage, dst *int, minV, maxV int) error {
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

func optIntField(name string, raw json.RawMessage, dst **int, minV, maxV int) error {
	if isNull(raw) {
		*dst = nil
		return nil
	}
	var v int
	if err := intField(name, raw, &v, minV, maxV); err != nil {
		return err
	}
	*dst = &v
	return nil
}

func floatField(name string, raw json.RawMessage, dst *float64) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be a number")
	}
	if *dst < 0 {
		return invalid(name, name+" must not be negative")
	}
	return nil
}

func optFloatField(name string, raw json.RawMessage, dst **float64) error {
	if isNull(raw) {
		*dst = nil
		return nil
	}
	var v float64
	if err := floatField(name, raw, &v); err != nil {
		return err
	}
	*dst = &v
	return nil
}

func optTimeField(name string, raw json.RawMessage, dst **time.Time) error {
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

func stringsField(name string, raw json.RawMessage, dst *[]string) error {
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

func urlField(name string, raw json.RawMessage, dst *string) error {
	if err := strField(name, raw, dst); err != nil {
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
