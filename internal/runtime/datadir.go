package runtime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/conduit-gw/conduit/internal/datadir"
	"github.com/conduit-gw/conduit/internal/secrets"
)

// prepareDataDir creates the data directory, private (0700, its files 0600) and writable, and
// (sqlite) the database file 0600 so that SQLite's WAL and shared-memory files are private too.
func prepareDataDir(dir string, sqlite bool) error {
	if err := datadir.Prepare(dir); err != nil {
		return &StartupError{Err: err}
	}
	if !sqlite {
		return nil
	}
	if err := datadir.CreatePrivate(filepath.Join(dir, "conduit.db")); err != nil {
		return startupErr("data directory %s: %v", dir, err)
	}
	return nil
}

const masterKeySecret = "master_key"

// masterKey returns CONDUIT_MASTER_KEY, or the stored one, or generates, stores and announces
// a new one (keychain when that is the secrets backend, else master.key 0600 in the data dir).
func masterKey(ctx context.Context, o Options, sec secrets.Store) (key, generatedIn string, err error) {
	if k := strings.TrimSpace(o.MasterKey); k != "" {
		return k, "", nil
	}
	file := filepath.Join(o.DataDir, "master.key")
	if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), "", nil
	}
	if sec.Backend() == "keyring" {
		if k, err := sec.Get(ctx, masterKeySecret); err == nil && k != "" {
			return k, "", nil
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	k := "condt_master_" + base64.RawURLEncoding.EncodeToString(b[:])
	where := file
	if sec.Backend() == "keyring" {
		if err := sec.Set(ctx, masterKeySecret, k); err != nil {
			return "", "", fmt.Errorf("storing the generated master key in the keychain: %w", err)
		}
		where = "the OS keychain"
	} else if err := os.WriteFile(file, []byte(k+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", file, err)
	}
	fmt.Fprintf(o.Stderr, "\nConduit generated an admin master key (stored in %s). It is shown only this once:\n\n    %s\n\nUse it to log in to the web UI or as 'Authorization: Bearer <key>' on /admin.\n\n", where, k)
	return k, where, nil
}

// NewTransport is the shared upstream transport: large keep-alive pools, HTTP/2 where the
// upstream speaks it.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
