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
	exited chan struct{} // closed when cmd has exited
	admin  string        // URL of the postgres database
	err    error         // why it could not start (kept: every later test gets the same answer)
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
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c.port, c.cmd, c.exited = port, cmd, exited
	c.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.exec(ctx, "SELECT 1")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("postgres exited: %s", lastLines([]byte(log.String())))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("postgres did not answer within a minute: %w", err)
		}
	}
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

func lastLines(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
