package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// probeName is the keyring item auto mode writes, reads back and deletes.
const probeName = "conduit-probe"

// keyringStore keeps secrets in the OS keychain under one service name. Every call is bounded
// by a timeout, and values are cached in memory so the request path reaches D-Bus (or the
// macOS/Windows keychain) at most once per secret.
type keyringStore struct {
	service string
	timeout time.Duration
	kr      keyringAPI

	callMu sync.Mutex // serialises keychain calls (held inside the call goroutine)

	mu    sync.RWMutex
	cache map[string]cached
}

type cached struct {
	value string
	found bool
}

// keyringAPI is the subset of go-keyring used here (a seam for tests).
type keyringAPI interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// osKeyring is the real OS keychain via github.com/zalando/go-keyring.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, pw string) error       { return keyring.Set(service, user, pw) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

func newKeyringStore(service string, timeout time.Duration, kr keyringAPI) *keyringStore {
	if kr == nil {
		kr = osKeyring{}
	}
	return &keyringStore{service: service, timeout: timeout, kr: kr, cache: map[string]cached{}}
}

func (k *keyringStore) Backend() string { return BackendKeyring }

// call runs fn in a goroutine and gives up after the timeout or when ctx ends. A hung call
// keeps its goroutine until the keychain returns; the result is then dropped.
func call[T any](ctx context.Context, k *keyringStore, op string, fn func() (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		k.callMu.Lock()
		defer k.callMu.Unlock()
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("keyring %s: no answer: %w", op, ctx.Err())
	}
}

func (k *keyringStore) Get(ctx context.Context, name string) (string, error) {
	k.mu.RLock()
	c, ok := k.cache[name]
	k.mu.RUnlock()
	if ok {
		if !c.found {
			return "", fmt.Errorf("secrets: %q: %w", name, ErrNotFound)
		}
		return c.value, nil
	}
	v, err := call(ctx, k, "get", func() (string, error) { return k.kr.Get(k.service, name) })
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		k.store(name, cached{})
		return "", fmt.Errorf("secrets: %q: %w", name, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("secrets: get %q: %w", name, err)
	}
	k.store(name, cached{value: v, found: true})
	return v, nil
}

func (k *keyringStore) Set(ctx context.Context, name, value string) error {
	_, err := call(ctx, k, "set", func() (struct{}, error) {
		return struct{}{}, k.kr.Set(k.service, name, value)
	})
	if err != nil {
		k.forget(name) // the keychain state is unknown now
		return fmt.Errorf("secrets: set %q: %w", name, err)
	}
	k.store(name, cached{value: value, found: true})
	return nil
}

func (k *keyringStore) Delete(ctx context.Context, name string) error {
	_, err := call(ctx, k, "delete", func() (struct{}, error) {
		return struct{}{}, k.kr.Delete(k.service, name)
	})
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		k.forget(name)
		return fmt.Errorf("secrets: delete %q: %w", name, err)
	}
	k.store(name, cached{})
	return nil
}

func (k *keyringStore) store(name string, c cached) {
	k.mu.Lock()
	k.cache[name] = c
	k.mu.Unlock()
}

func (k *keyringStore) forget(name string) {
	k.mu.Lock()
	delete(k.cache, name)
	k.mu.Unlock()
}

// probe checks that the keychain stores and returns a value, without touching the cache.
func (k *keyringStore) probe(ctx context.Context) error {
	var b [16]byte
	_, _ = rand.Read(b[:])
	want := hex.EncodeToString(b[:])
	if _, err := call(ctx, k, "set", func() (struct{}, error) {
		return struct{}{}, k.kr.Set(k.service, probeName, want)
	}); err != nil {
		return err
	}
	got, err := call(ctx, k, "get", func() (string, error) { return k.kr.Get(k.service, probeName) })
	if err != nil {
		return err
	}
	if got != want {
		return errors.New("keyring returned a different value than was stored")
	}
	if _, err := call(ctx, k, "delete", func() (struct{}, error) {
		return struct{}{}, k.kr.Delete(k.service, probeName)
	}); err != nil {
		return err
	}
	return nil
}
