package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/conduit-gw/conduit/internal/testsvc"
)

// services are a throwaway PostgreSQL cluster and Redis server on free loopback ports, for the
// PostgreSQL + Redis row, started the way internal/testsvc starts them for tests: initdb with
// trust authentication, no fsync, no Redis persistence, as the postgres user when run as root.
type services struct {
	dir         string
	pg, redis   *proc
	pgURL       string
	redisURL    string
	credentials *syscall.Credential
}

// errNoServices says the PostgreSQL or Redis binaries are not installed.
var errNoServices = errors.New("postgres or redis-server not installed (apt-get install postgresql redis-server)")

// startServices starts PostgreSQL and Redis; stop them with b.stopAll and remove s.dir.
func (b *bench) startServices() (*services, error) {
	initdb, err1 := testsvc.LookBin("initdb")
	postgres, err2 := testsvc.LookBin("postgres")
	redis, err3 := testsvc.LookBin("redis-server")
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, errNoServices
	}
	// Pdeathsig fires when the thread that started the server ends: keep this goroutine (main's)
	// on its thread for the rest of the run.
	runtime.LockOSThread()
	s := &services{}
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.credentials = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	var err error
	if s.dir, err = os.MkdirTemp("", "conduit-bench-pg-"); err != nil {
		return nil, err
	}
	if c := s.credentials; c != nil {
		if err := os.Chown(s.dir, int(c.Uid), int(c.Gid)); err != nil {
			return s, err
		}
	}
	data := filepath.Join(s.dir, "data")
	init := exec.Command(initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	init.SysProcAttr = s.attr()
	if out, err := init.CombinedOutput(); err != nil {
		return s, fmt.Errorf("initdb: %w: %s", err, out)
	}
	pgPort, err := testsvc.FreePort()
	if err != nil {
		return s, err
	}
	if s.pg, err = b.startAs("postgres", s.attr(), postgres, "-D", data, "-p", strconv.Itoa(pgPort), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "shared_buffers=32MB"); err != nil {
		return s, err
	}
	s.pgURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pgPort)
	redisPort, err := testsvc.FreePort()
	if err != nil {
		return s, err
	}
	if s.redis, err = b.startAs("redis", s.attr(), redis, "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no"); err != nil {
		return s, err
	}
	s.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)
	for _, port := range []int{pgPort, redisPort} {
		if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", port), 60*time.Second); err != nil {
			return s, err
		}
	}
	// PostgreSQL listens before it accepts queries; Conduit retries nothing at startup.
	time.Sleep(time.Second)
	return s, nil
}

// attr runs a server as the postgres user when root, and stops it if the bench dies.
func (s *services) attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT, Credential: s.credentials}
}

func (b *bench) startAs(name string, attr *syscall.SysProcAttr, path string, args ...string) (*proc, error) {
	cmd := exec.CommandContext(context.Background(), path, args...)
	cmd.SysProcAttr = attr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd}
	b.procs = append(b.procs, p)
	return p, nil
}

func waitTCP(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up within %s", addr, d)
}

// secretKey is a fixed CONDUIT_SECRET_KEY (32 bytes, base64) for the bench's own database.
const secretKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
