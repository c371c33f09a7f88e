package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// BackendDatabase names the backend that keeps secrets sealed in the database, shared by
// every instance on it.
const BackendDatabase = "database"

// BlobStore keeps the sealed secrets: the store on PostgreSQL does.
type BlobStore interface {
	// SecretBlob returns the blob stored under name; ok is false when there is none.
	SecretBlob(ctx context.Context, name string) (blob string, ok bool, err error)
	PutSecretBlob(ctx context.Context, name, blob string) error
	DeleteSecretBlob(ctx context.Context, name string) error
}

// sealer encrypts a secret as base64(nonce ‖ AES-256-GCM ciphertext), with its name as
// additional data so that blobs cannot be swapped between names.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("secrets: %w", err)
	}
	return sealer{aead: aead}, nil
}

func (s sealer) seal(name, value string) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(value)+s.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(value), []byte(name)))
}

// open decrypts a blob; where names its origin in errors.
func (s sealer) open(name, blob, where string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(blob)
	ns := s.aead.NonceSize()
	if err != nil || len(raw) < ns+s.aead.Overhead() {
		return "", fmt.Errorf("secrets: %w %q: malformed entry in %s", ErrDecrypt, name, where)
	}
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(name))
	if err != nil {
		return "", fmt.Errorf("secrets: %w %q from %s: wrong CONDUIT_SECRET_KEY?", ErrDecrypt, name, where)
	}
	return string(plain), nil
}

// dbStore keeps secrets sealed in a BlobStore.
type dbStore struct {
	blobs BlobStore
	s     sealer
}

// OpenDatabase returns secrets sealed with secretKey (CONDUIT_SECRET_KEY, required: every
// instance must use the same) and kept in blobs.
func OpenDatabase(secretKey string, blobs BlobStore) (Store, error) {
	if secretKey == "" {
		return nil, errors.New("secrets: the database backend needs CONDUIT_SECRET_KEY (the same on every instance)")
	}
	key, err := decodeKey(secretKey)
	if err != nil {
		return nil, fmt.Errorf("secrets: CONDUIT_SECRET_KEY %w", err)
	}
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	return &dbStore{blobs: blobs, s: s}, nil
}

func (d *dbStore) Backend() string { return BackendDatabase }

func (d *dbStore) Get(ctx context.Context, name string) (string, error) {
	blob, ok, err := d.blobs.SecretBlob(ctx, name)
	if err != nil {
		return "", fmt.Errorf("secrets: %q: %w", name, err)
	}
	if !ok {
		return "", fmt.Errorf("secrets: %q: %w", name, ErrNotFound)
	}
	return d.s.open(name, blob, "the database")
}

func (d *dbStore) Set(ctx context.Context, name, value string) error {
	if err := d.blobs.PutSecretBlob(ctx, name, d.s.seal(name, value)); err != nil {
		return fmt.Errorf("secrets: %q: %w", name, err)
	}
	return nil
}

func (d *dbStore) Delete(ctx context.Context, name string) error {
	if err := d.blobs.DeleteSecretBlob(ctx, name); err != nil {
		return fmt.Errorf("secrets: %q: %w", name, err)
	}
	return nil
}
