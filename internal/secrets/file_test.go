package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openFile(t *testing.T, dir, key string) Store {
	t.Helper()
	s, err := Open(t.Context(), Options{Mode: ModeFile, DataDir: dir, SecretKey: key, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open(file): %v", err)
	}
	return s
}

func key32(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func TestFileRoundTrip(t *testing.T) {
	for _, key := range []string{"", key32(1)} {
		t.Run(fmt.Sprintf("env key %v", key != ""), func(t *testing.T) {
			ctx, dir := t.Context(), t.TempDir()
			s := openFile(t, dir, key)
			if s.Backend() != BackendFile {
				t.Errorf("Backend() = %q", s.Backend())
			}
			if _, err := s.Get(ctx, "provider/x"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get missing: %v, want ErrNotFound", err)
			}
			steps := []struct{ name, value string }{
				{"provider/a", "sk-aaa"}, {"provider/b", ""}, {"provider/a", "sk-rotated"}, {"master", "✓ ünïcode"},
			}
			for _, st := range steps {
				if err := s.Set(ctx, st.name, st.value); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Get(ctx, st.name); err != nil || got != st.value {
					t.Errorf("Get(%q) = %q, %v; want %q", st.name, got, err, st.value)
				}
			}
			// Reopen with the same key material: everything is readable.
			r := openFile(t, dir, key)
			if got, err := r.Get(ctx, "provider/a"); err != nil || got != "sk-rotated" {
				t.Errorf("after reopen Get = %q, %v", got, err)
			}
			if err := r.Delete(ctx, "provider/a"); err != nil {
				t.Fatal(err)
			}
			if err := r.Delete(ctx, "provider/a"); err != nil {
				t.Errorf("Delete missing: %v", err)
			}
			if _, err := openFile(t, dir, key).Get(ctx, "provider/a"); !errors.Is(err, ErrNotFound) {
				t.Errorf("deleted secret still there: %v", err)
			}
			_, statErr := os.Stat(filepath.Join(dir, keyFileName))
			if created := statErr == nil; created != (key == "") {
				t.Errorf("secret.key created = %v with env key %q", created, key)
			}
		})
	}
}

func TestFilePermissionsAndCiphertext(t *testing.T) {
	ctx, dir := t.Context(), t.TempDir()
	s := openFile(t, dir, "")
	const plain = "sk-live-VERY-SECRET-123456"
	if err := s.Set(ctx, "provider/p", plain); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for _, name := range []string{keyFileName, secretsFileName} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s mode = %o, want 600", name, perm)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, secretsFileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(plain)) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte(plain)))) {
		t.Error("secrets.json contains the plaintext")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func TestFileWrongKey(t *testing.T) {
	ctx, dir := t.Context(), t.TempDir()
	if err := openFile(t, dir, key32(1)).Set(ctx, "provider/p", "sk-1"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{key32(2), ""} { // another env key; the generated secret.key
		_, err := openFile(t, dir, key).Get(ctx, "provider/p")
		if !errors.Is(err, ErrDecrypt) || !strings.Contains(err.Error(), "wrong CONDUIT_SECRET_KEY?") {
			t.Errorf("key %q: Get = %v, want ErrDecrypt mentioning CONDUIT_SECRET_KEY", key, err)
		}
	}
}

func TestFileBlobsCannotBeSwapped(t *testing.T) {
	ctx, dir := t.Context(), t.TempDir()
	s := openFile(t, dir, key32(3))
	_ = s.Set(ctx, "a", "value-a")
	_ = s.Set(ctx, "b", "value-b")
	path := filepath.Join(dir, secretsFileName)
	raw, _ := os.ReadFile(path)
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["a"], m["b"] = m["b"], m["a"]
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := openFile(t, dir, key32(3)).Get(ctx, "a"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("swapped blob: Get = %q, %v; want ErrDecrypt", v, err)
	}
}

func TestBadSecretKey(t *testing.T) {
	std32 := bytes.Repeat([]byte{0xfb}, 32)
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"std", base64.StdEncoding.EncodeToString(std32), true},
		{"raw std", base64.RawStdEncoding.EncodeToString(std32), true},
		{"url", base64.URLEncoding.EncodeToString(std32), true},
		{"with newline", base64.StdEncoding.EncodeToString(std32) + "\n", true},
		{"not base64", "not base64 at all!", false},
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), false},
		{"33 bytes", base64.StdEncoding.EncodeToString(make([]byte, 33)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(t.Context(), Options{Mode: ModeFile, DataDir: t.TempDir(), SecretKey: tt.key,
				Logger: quietLogger()})
			if tt.ok && err != nil {
				t.Errorf("Open: %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "CONDUIT_SECRET_KEY")) {
				t.Errorf("Open = %v, want an error naming CONDUIT_SECRET_KEY", err)
			}
		})
	}
}

func TestBadKeyFileAndCorruptStore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, keyFileName), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), Options{Mode: ModeFile, DataDir: dir, Logger: quietLogger()}); err == nil ||
		!strings.Contains(err.Error(), keyFileName) {
		t.Errorf("bad secret.key: Open = %v", err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, secretsFileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), Options{Mode: ModeFile, DataDir: dir, Logger: quietLogger()}); err == nil ||
		!strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt secrets.json: Open = %v", err)
	}
}

func TestFileConcurrent(t *testing.T) {
	ctx := t.Context()
	s := openFile(t, t.TempDir(), "")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("provider/%d", i)
			for j := range 10 {
				v := fmt.Sprintf("v%d", j)
				if err := s.Set(ctx, name, v); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Get(ctx, name); err != nil || got != v {
					t.Errorf("Get(%s) = %q, %v", name, got, err)
				}
			}
		})
	}
	wg.Wait()
}
