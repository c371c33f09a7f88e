package secrets

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// The go-keyring mock is process-global, so these tests do not run in parallel.

// countingKeyring counts calls and can hang or fail on demand.
type countingKeyring struct {
	keyringAPI
	gets atomic.Int32
	hang chan struct{} // when non-nil, every call blocks until it is closed, then fails
}

func (c *countingKeyring) wait() error {
	if c.hang != nil {
		<-c.hang
		return errors.New("released") // never reach the process-global mock from a leaked call
	}
	return nil
}

func (c *countingKeyring) Get(s, u string) (string, error) {
	c.gets.Add(1)
	if err := c.wait(); err != nil {
		return "", err
	}
	return c.keyringAPI.Get(s, u)
}

func (c *countingKeyring) Set(s, u, p string) error {
	if err := c.wait(); err != nil {
		return err
	}
	return c.keyringAPI.Set(s, u, p)
}

func (c *countingKeyring) Delete(s, u string) error {
	if err := c.wait(); err != nil {
		return err
	}
	return c.keyringAPI.Delete(s, u)
}

func TestKeyringBackend(t *testing.T) {
	keyring.MockInit()
	ctx := t.Context()
	kr := &countingKeyring{keyringAPI: osKeyring{}}
	s, err := Open(ctx, Options{Mode: ModeKeyring, Logger: quietLogger(), keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != BackendKeyring {
		t.Errorf("Backend() = %q", s.Backend())
	}
	if _, err := s.Get(ctx, "provider/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing = %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, "provider/x", "sk-x"); err != nil {
		t.Fatal(err)
	}
	if v, err := keyring.Get(DefaultService, "provider/x"); err != nil || v != "sk-x" {
		t.Errorf("not stored in the keyring under service %q: %q, %v", DefaultService, v, err)
	}
	before := kr.gets.Load()
	for range 5 {
		if v, err := s.Get(ctx, "provider/x"); err != nil || v != "sk-x" {
			t.Fatalf("Get = %q, %v", v, err)
		}
	}
	if n := kr.gets.Load() - before; n != 0 {
		t.Errorf("%d keyring Gets after Set; want 0 (cached)", n)
	}

	// A fresh store reads through once, then serves from its cache.
	fresh := newKeyringStore(DefaultService, time.Second, kr)
	before = kr.gets.Load()
	for range 3 {
		if v, err := fresh.Get(ctx, "provider/x"); err != nil || v != "sk-x" {
			t.Fatalf("fresh Get = %q, %v", v, err)
		}
	}
	if n := kr.gets.Load() - before; n != 1 {
		t.Errorf("%d keyring Gets for 3 reads; want 1", n)
	}

	if err := s.Delete(ctx, "provider/x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "provider/x"); err != nil {
		t.Errorf("Delete missing = %v", err)
	}
	if _, err := s.Get(ctx, "provider/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	keyring.MockInit()
	hang := make(chan struct{})
	defer close(hang)
	kr := &countingKeyring{keyringAPI: osKeyring{}, hang: hang}
	s := newKeyringStore(DefaultService, 50*time.Millisecond, kr)
	start := time.Now()
	_, err := s.Get(t.Context(), "provider/x")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("hung Get = %v after %v; want a timeout", err, time.Since(start))
	}
	if err := s.Set(t.Context(), "provider/x", "v"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung Set = %v; want a timeout", err)
	}
}

func TestAutoMode(t *testing.T) {
	tests := []struct {
		name   string
		setup  func() keyringAPI
		want   string
		reason string
	}{
		{"keyring answers", func() keyringAPI { keyring.MockInit(); return nil }, BackendKeyring, "OS keychain answered"},
		{"keyring errors", func() keyringAPI {
			keyring.MockInitWithError(errors.New("no session bus"))
			return nil
		}, BackendFile, "no session bus"},
		{"keyring hangs", func() keyringAPI {
			keyring.MockInit()
			hang := make(chan struct{})
			t.Cleanup(func() { close(hang) })
			return &countingKeyring{keyringAPI: osKeyring{}, hang: hang}
		}, BackendFile, "no answer"},
		{"keyring lies", func() keyringAPI {
			keyring.MockInit()
			return lyingKeyring{}
		}, BackendFile, "different value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := tt.setup()
			var logs bytes.Buffer
			s, err := Open(t.Context(), Options{Mode: ModeAuto, DataDir: t.TempDir(), Timeout: 100 * time.Millisecond,
				Logger: slog.New(slog.NewTextHandler(&logs, nil)), keyring: kr})
			if err != nil {
				t.Fatal(err)
			}
			if s.Backend() != tt.want {
				t.Errorf("Backend() = %q, want %q", s.Backend(), tt.want)
			}
			if out := logs.String(); !strings.Contains(out, "level=INFO") || !strings.Contains(out, "backend="+tt.want) ||
				!strings.Contains(out, tt.reason) {
				t.Errorf("log %q does not give backend %s and reason %q", out, tt.want, tt.reason)
			}
			if err := s.Set(t.Context(), "provider/p", "sk-TOPSECRET"); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "sk-TOPSECRET") {
				t.Error("secret value logged")
			}
			if _, err := keyring.Get(DefaultService, probeName); tt.want == BackendKeyring && !errors.Is(err, keyring.ErrNotFound) {
				t.Errorf("probe item left in the keyring: %v", err)
			}
		})
	}
}

type lyingKeyring struct{}

func (lyingKeyring) Get(string, string) (string, error) { return "something else", nil }
func (lyingKeyring) Set(string, string, string) error   { return nil }
func (lyingKeyring) Delete(string, string) error        { return nil }

func TestOpenInvalid(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"mode", Options{Mode: "vault"}, "invalid mode"},
		{"file without dir", Options{Mode: ModeFile}, "data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = quietLogger()
			if _, err := Open(t.Context(), tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
