package providers

import "testing"

func TestHasTopLevelError(t *testing.T) {
	for in, want := range map[string]bool{
		`{"error":{"message":"x"}}`:                        true,
		`{ "error" : "x" }`:                                true,
		"{\n  \"error\": {\"code\": 500}\n}":               true,
		`{"id":"gen-1","error":{"code":502},"choices":[]}`: true,
		`{"error":null,"choices":[]}`:                      false,
		`{"error":false}`:                                  false,
		`{"choices":[{"delta":{"content":"\"error\""}}]}`:  false,
		`{"choices":[{"error":{"message":"nested"}}]}`:     false,
		`{"id":"c","choices":[]}`:                          false,
	} {
		if got := HasTopLevelError([]byte(in)); got != want {
			t.Errorf("HasTopLevelError(%s) = %v", in, got)
		}
	}
}
