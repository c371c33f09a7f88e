// Package testsvc starts throwaway PostgreSQL and Redis servers for tests, on free loopback
// ports, from the Debian packages (postgresql, redis-server).
//
// One PostgreSQL cluster is started per test binary, on first use; every Postgres call gets a
// fresh database in it. Every StartRedis call gets a server of its own (they start in
// milliseconds, and a test may stop one to see what its clients do). Servers die with the test
// binary; a package that uses Postgres calls Main from its TestMain so that the cluster's
// directory is removed too.
//
// When the binaries are missing the test is skipped with a message saying what to install,
// unless CONDUIT_REQUIRE_SERVICES=1 (CI sets it), which fails it instead.
package testsvc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// RequireEnv is the environment variable that turns a missing server into a test failure.
const RequireEnv = "CONDUIT_REQUIRE_SERVICES"

// Main runs the tests of m, stops the PostgreSQL cluster if one was started and returns the
// exit code: func TestMain(m *testing.M) { os.Exit(testsvc.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	stopCluster()
	return code
}

// missing skips (or fails, under RequireEnv) a test that needs a server whose binary is absent.
func missing(tb testing.TB, what, pkg string, err error) {
	tb.Helper()
	msg := fmt.Sprintf("%s not available (%v): apt-get install %s", what, err, pkg)
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// LookBin finds name on PATH or in the versioned directories Debian installs PostgreSQL into
// (/usr/lib/postgresql/N/bin, newest first).
func LookBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/lib/postgresql/*/bin", name)
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
