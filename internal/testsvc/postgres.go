package testsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is the test binary's PostgreSQL server, started on first use.
type cluster struct {
	dir    string // owns the data directory and the socket
	port   int
	cmd    *exec.Cmd
	exited <-chan struct{} // closed when cmd has exited
	admin  string          // URL of the postgres database
	err    error           // why it could not start (kept: every later test gets the same answer)
	dbs    int
}

// The one cluster of the test binary: Postgres hands out databases on it, Main stops it.
var pg struct {
	sync.Mutex
	c *cluster
}

// Postgres returns the URL of a new, empty database on the test binary's PostgreSQL cluster
// (started on first use); the database is dropped when the test ends.
func Postgres(tb testing.TB) string {
	tb.Helper()
	pg.Lock()
	if pg.c == nil {
		pg.c = startCluster()
	}
	c := pg.c
	if c.err == nil {
		c.dbs++
	}
	n := c.dbs
	pg.Unlock()
	if c.err != nil {
		var nf *notFoundError
		if errors.As(c.err, &nf) {
			missing(tb, "PostgreSQL", "postgresql", c.err)
		}
		tb.Fatalf("testsvc: PostgreSQL: %v", c.err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), n)
	if err := c.exec(tb.Context(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testsvc: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("testsvc: drop database %s: %v", name, err)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

type notFoundError struct{ err error }

func (e *notFoundError) Error() string { return e.err.Error() }

func (c *cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// startCluster runs initdb into a temporary directory and starts postgres on a free port,
// as the postgres user when running as root (PostgreSQL refuses to run as root).
func startCluster() *cluster {
	c := &cluster{}
	initdb, err := LookBin("initdb")
	if err != nil {
		c.err = &notFoundError{err}
		return c
	}
	postgres, err := LookBin("postgres")
	if err != nil {
		c.err = &notFoundError{err}
		return c
	}
	cred, err := serviceUser("postgres")
	if err != nil {
		c.err = err
		return c
	}
	if c.dir, err = os.MkdirTemp("", "conduit-pg-"); err != nil {
		c.err = err
		return c
	}
	if err := cred.chown(c.dir); err != nil {
		c.err = err
		return c
	}
	data := filepath.Join(c.dir, "data")
	init := exec.Command(initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
		"--locale=C", "--no-sync")
	init.SysProcAttr = cred.attr()
	init.Dir = c.dir // the postgres user may not reach the test's working directory
	if out, err := init.CombinedOutput(); err != nil {
		c.err = fmt.Errorf("initdb: %w: %s", err, lastLines(out))
		return c
	}
	for range 3 { // a port taken between FreePort and listen: try another
		if c.err = c.start(postgres, data, cred); c.err == nil {
			return c
		}
	}
	return c
}

func (c *cluster) start(postgres, data string, cred *user) error {
	port, err := FreePort()
	if err != nil {
		return err
	}
	var log strings.Builder
	cmd := exec.Command(postgres, "-D", data, "-p", fmt.Sprint(port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB")
	cmd.SysProcAttr = cred.attr()
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = &log, &log
	c.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	exited, err := launch(cmd, "postgres", &log, time.Minute, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return c.exec(ctx, "SELECT 1")
	})
	if err != nil {
		return err
	}
	c.port, c.cmd, c.exited = port, cmd, exited
	return nil
}

// stopCluster stops the cluster (fast shutdown) and removes its directory.
func stopCluster() {
	pg.Lock()
	defer pg.Unlock()
	c := pg.c
	pg.c = nil
	if c == nil {
		return
	}
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.exited:
		case <-time.After(20 * time.Second):
			_ = c.cmd.Process.Kill()
		}
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

// launch starts cmd, whose output goes to log, and waits until ready answers nil, trying
// every so often; it gives up when cmd exits or after within (then it kills cmd). The channel
// it returns is closed once cmd has exited.
func launch(cmd *exec.Cmd, name string, log *strings.Builder, within, every time.Duration, ready func() error) (<-chan struct{}, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(within)
	for {
		err := ready()
		if err == nil {
			return exited, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("%s exited: %s", name, lastLines([]byte(log.String())))
		case <-time.After(every):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return nil, fmt.Errorf("%s did not answer within %s: %w", name, within, err)
		}
	}
}

func lastLines(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
