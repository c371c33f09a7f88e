package secrets

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
)

type memBlobs struct {
	mu sync.Mutex
	m  map[string]string
}

func (b *memBlobs) SecretBlob(_ context.Context, name string) (string, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[name]
	return v, ok, nil
}

func (b *memBlobs) PutSecretBlob(_ context.Context, name, blob string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[name] = blob
	return nil
}

func (b *memBlobs) DeleteSecretBlob(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, name)
	return nil
}

// TestDatabaseBackend: secrets sealed into a shared blob store are read back by another
// instance with the same key, never stored in the clear, refused with another key, and the
// backend needs a key.
func TestDatabaseBackend(t *testing.T) {
	ctx := t.Context()
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	other := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("o", 32)))
	blobs := &memBlobs{m: map[string]string{}}
	a, err := OpenDatabase(key, blobs)
	if err != nil {
		t.Fatal(err)
	}
	if a.Backend() != BackendDatabase {
		t.Errorf("Backend() = %q", a.Backend())
	}
	if err := a.Set(ctx, "provider:p1", "sk-secret"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(blobs.m["provider:p1"], "sk-secret") {
		t.Fatal("secret stored in the clear")
	}
	b, _ := OpenDatabase(key, blobs)
	if v, err := b.Get(ctx, "provider:p1"); err != nil || v != "sk-secret" {
		t.Fatalf("other instance: %q, %v", v, err)
	}
	c, _ := OpenDatabase(other, blobs)
	if _, err := c.Get(ctx, "provider:p1"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: %v, want ErrDecrypt", err)
	}
	blobs.m["provider:p2"] = blobs.m["provider:p1"] // a blob moved to another name
	if _, err := b.Get(ctx, "provider:p2"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("swapped blob: %v, want ErrDecrypt", err)
	}
	if err := b.Delete(ctx, "provider:p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "provider:p1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted: %v, want ErrNotFound", err)
	}
	for _, k := range []string{"", "short"} {
		if _, err := OpenDatabase(k, blobs); err == nil {
			t.Errorf("OpenDatabase(%q) succeeded", k)
		}
	}
}
