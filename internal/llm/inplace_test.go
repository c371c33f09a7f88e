package llm

import (
	"encoding/json"
	"testing"
)

func TestCloneStringReadsAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "héllo ✓", "\xff", "a\xff\xfeb", "\xe2\x82", "ok\xc0\xafend", "\xed\xa0\x80"} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := CloneString(s); got != want {
			t.Errorf("CloneString(%q) = %q, encoding/json reads %q", s, got, want)
		}
	}
}
