package testsvc

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Redis is a throwaway redis-server on a loopback port, without persistence.
type Redis struct {
	URL  string // redis://127.0.0.1:PORT/0
	Addr string // 127.0.0.1:PORT

	bin    string
	port   int
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited <-chan struct{}
}

// StartRedis starts a redis-server of the test's own, stopped when the test ends.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	bin, err := LookBin("redis-server")
	if err != nil {
		missing(tb, "Redis", "redis-server", err)
	}
	r := &Redis{bin: bin}
	for range 3 {
		if r.port, err = FreePort(); err != nil {
			break
		}
		if err = r.Start(); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatalf("testsvc: redis: %v", err)
	}
	r.Addr = fmt.Sprintf("127.0.0.1:%d", r.port)
	r.URL = "redis://" + r.Addr + "/0"
	tb.Cleanup(r.Stop)
	return r
}

// Start (re)starts the server on its port, empty; it returns once the server answers PING.
func (r *Redis) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return nil
	}
	var log strings.Builder
	cmd := exec.Command(r.bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd.SysProcAttr = (&user{uid: -1, gid: -1}).attr()
	cmd.Stdout, cmd.Stderr = &log, &log
	addr := fmt.Sprintf("127.0.0.1:%d", r.port)
	exited, err := launch(cmd, "redis-server", &log, 20*time.Second, 20*time.Millisecond,
		func() error { return ping(addr) })
	if err != nil {
		return err
	}
	r.cmd, r.exited = cmd, exited
	return nil
}

// Stop kills the server (its data is gone); Start brings an empty one back on the same port.
func (r *Redis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
	r.cmd = nil
}

func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}
