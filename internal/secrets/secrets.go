// Package secrets keeps provider API keys and the master key, either in the OS keychain
// (keyring backend) or in an AES-256-GCM encrypted file in the data directory (file backend).
// Secret values are never logged.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Backend names, as reported by Store.Backend and shown on the System page.
const (
	BackendKeyring = "keyring"
	BackendFile    = "file"
)

// Modes accepted by Open (CONDUIT_SECRETS / --secrets).
const (
	ModeAuto    = "auto"
	ModeKeyring = BackendKeyring
	ModeFile    = BackendFile
)

// DefaultService is the keyring service name used when Options.Service is empty.
const DefaultService = "conduit"

// DefaultTimeout bounds every keyring call when Options.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// ErrNotFound is returned by Get when no secret has the given name.
var ErrNotFound = errors.New("secret not found")

// Store keeps named secrets.
type Store interface {
	// Get returns the secret called name, or an error wrapping ErrNotFound.
	Get(ctx context.Context, name string) (string, error)
	// Set creates or replaces the secret called name.
	Set(ctx context.Context, name, value string) error
	// Delete removes the secret called name; deleting a missing secret is not an error.
	Delete(ctx context.Context, name string) error
	// Backend reports "keyring" or "file".
	Backend() string
}

// Options configure Open.
type Options struct {
	// Mode is "auto" (default when empty), "keyring" or "file".
	Mode string
	// DataDir holds secret.key and secrets.json for the file backend.
	DataDir string
	// SecretKey is CONDUIT_SECRET_KEY: base64 (standard or raw) of 32 bytes. When empty the
	// file backend uses, and on first use creates, <DataDir>/secret.key.
	SecretKey string
	// Service is the keyring service name; DefaultService when empty.
	Service string
	// Timeout bounds each keyring call (the OS keychain can hang without a session bus);
	// DefaultTimeout when zero.
	Timeout time.Duration
	// Logger receives the backend choice; slog.Default() when nil.
	Logger *slog.Logger

	keyring keyringAPI // tests only; nil means the OS keychain
}

// Open returns the secrets store selected by opts.Mode. In "auto" mode it probes the OS
// keychain (set, get and delete a probe item) and falls back to the file backend when the
// keychain does not answer correctly in time; the choice and its reason are logged at Info.
func Open(ctx context.Context, opts Options) (Store, error) {
	if opts.Service == "" {
		opts.Service = DefaultService
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	switch opts.Mode {
	case ModeKeyring:
		s := newKeyringStore(opts.Service, opts.Timeout, opts.keyring)
		log.InfoContext(ctx, "secrets backend", "backend", BackendKeyring, "reason", "configured",
			"service", opts.Service)
		return s, nil
	case ModeFile:
		s, err := openFileStore(ctx, opts.DataDir, opts.SecretKey)
		if err != nil {
			return nil, err
		}
		log.InfoContext(ctx, "secrets backend", "backend", BackendFile, "reason", "configured",
			"path", s.path)
		return s, nil
	case ModeAuto, "":
		k := newKeyringStore(opts.Service, opts.Timeout, opts.keyring)
		probeErr := k.probe(ctx)
		if probeErr == nil {
			log.InfoContext(ctx, "secrets backend", "backend", BackendKeyring,
				"reason", "OS keychain answered", "service", opts.Service)
			return k, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		s, err := openFileStore(ctx, opts.DataDir, opts.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("%w (OS keychain unavailable: %w)", err, probeErr)
		}
		log.InfoContext(ctx, "secrets backend", "backend", BackendFile,
			"reason", "OS keychain unavailable: "+probeErr.Error(), "path", s.path)
		return s, nil
	}
	return nil, fmt.Errorf("secrets: invalid mode %q (want auto, keyring or file)", opts.Mode)
}
