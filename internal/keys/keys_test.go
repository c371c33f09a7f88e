package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		k := Generate()
		if !LooksValid(k) {
			t.Fatalf("Generate() = %q does not look valid", k)
		}
		if len(k) != len(Prefix)+43 {
			t.Fatalf("len = %d, want %d", len(k), len(Prefix)+43)
		}
		if seen[k] {
			t.Fatal("duplicate key")
		}
		seen[k] = true
	}
}

func TestHash(t *testing.T) {
	k := "condt_abc"
	sum := sha256.Sum256([]byte(k))
	if HashHex(k) != hex.EncodeToString(sum[:]) {
		t.Fatal("HashHex is not the hex SHA-256")
	}
	h, ok := ParseHashHex(HashHex(k))
	if !ok || h != Hash(k) {
		t.Fatal("ParseHashHex does not invert HashHex")
	}
	for _, bad := range []string{"", "zz", strings.Repeat("g", 64)} {
		if _, ok := ParseHashHex(bad); ok {
			t.Errorf("ParseHashHex(%q) ok", bad)
		}
	}
}

func TestLooksValid(t *testing.T) {
	for _, s := range []string{"", "condt_", "sk-abc", "condt_" + strings.Repeat("A", 42), "condt_" + strings.Repeat("!", 43)} {
		if LooksValid(s) {
			t.Errorf("LooksValid(%q) = true", s)
		}
	}
}

func TestEqualAndPrefix(t *testing.T) {
	if !Equal("a", "a") || Equal("a", "b") || Equal("", "a") {
		t.Fatal("Equal is wrong")
	}
	if got := DisplayPrefix("condt_abcdefghij"); got != "condt_abcdef" {
		t.Fatalf("DisplayPrefix = %q", got)
	}
}
