package responsesapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tidwall/gjson"
)

// update rewrites the golden files: go test ./internal/responsesapi/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomIDs matches the ids the translators make up, which goldens show as placeholders.
var randomIDs = regexp.MustCompile(`"(msg|fc|call|resp)_[a-z2-7]{16}"`)

// golden compares got (random ids replaced) with the file at path, or rewrites it under
// -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	got = randomIDs.ReplaceAll(got, []byte(`"${1}_RANDOM"`))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func indent(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func render(events []Event) []byte {
	var b bytes.Buffer
	for _, e := range events {
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", e.Name, e.Data)
	}
	return b.Bytes()
}

func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// checkPaths asserts gjson path → raw JSON value pairs ("" for absent) on doc.
func checkPaths(t *testing.T, name string, doc []byte, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if got := compact(gjson.GetBytes(doc, p).Raw); got != compact(w) {
			t.Errorf("%s: %s = %s, want %s", name, p, got, w)
		}
	}
}
