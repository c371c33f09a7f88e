// Package backup implements conduit backup and conduit restore: consistent copies of the
// data directory's database, taken through a running server's admin API, and restores that
// only touch the database file when no server holds the data directory.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/conduit-gw/conduit/internal/datadir"
	"github.com/conduit-gw/conduit/internal/store"
)

// DBName is the database file in the data directory.
const DBName = "conduit.db"

// BackupOptions say where the server and its data are.
type BackupOptions struct {
	// URL is the running server's base URL (http://127.0.0.1:8800).
	URL string
	// MasterKey authenticates to the admin API; when empty, master.key in DataDir is read.
	MasterKey string
	// DataDir is the data directory: its master.key, and its database when no server runs.
	DataDir string
	// Client is the HTTP client (default: one with a 10 minute timeout).
	Client *http.Client
}

// Backup writes a consistent copy of the database to file (which must not exist, and is
// created 0600): from the running server's GET /admin/backup, or, when no server answers and
// none holds the data directory, straight from the database file. It returns the number of
// request log rows in the copy and how it was taken.
func Backup(ctx context.Context, o BackupOptions, file string) (rows int64, how string, err error) {
	if _, err := os.Stat(file); err == nil {
		return 0, "", fmt.Errorf("%s already exists; choose a new file name", file)
	}
	tmp := file + ".partial"
	defer os.Remove(tmp)
	err = download(ctx, o, tmp)
	how = "from the server at " + o.URL
	if errors.Is(err, errNoServer) {
		inUse, lerr := datadir.InUse(o.DataDir)
		switch {
		case lerr != nil:
			return 0, "", fmt.Errorf("no server answers at %s, and the data directory: %w", o.URL, lerr)
		case inUse:
			return 0, "", fmt.Errorf("a Conduit holds %s but does not answer at %s: give its address with --url (or CONDUIT_URL)", o.DataDir, o.URL)
		}
		_ = os.Remove(tmp)
		err = store.BackupFile(ctx, filepath.Join(o.DataDir, DBName), tmp)
		how = "from " + filepath.Join(o.DataDir, DBName) + " (no server running)"
	}
	if err != nil {
		return 0, "", err
	}
	if rows, err = store.CheckFile(ctx, tmp); err != nil {
		return 0, "", fmt.Errorf("the backup is not usable: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return 0, "", err
	}
	return rows, how, nil
}

var errNoServer = errors.New("no server answers")

// download saves GET /admin/backup to dest (0600).
func download(ctx context.Context, o BackupOptions, dest string) error {
	key := o.MasterKey
	if key == "" {
		b, err := os.ReadFile(filepath.Join(o.DataDir, "master.key"))
		if err == nil {
			key = strings.TrimSpace(string(b))
		}
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(o.URL, "/")+"/admin/backup", nil)
	if err != nil {
		return err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial") {
			return fmt.Errorf("%w: %v", errNoServer, err)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("the server refused the master key (set CONDUIT_MASTER_KEY): %s", strings.TrimSpace(string(msg)))
		}
		return fmt.Errorf("the server answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("downloading the backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
