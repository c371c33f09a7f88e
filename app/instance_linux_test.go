//go:build linux && !headless

package app

import (
	"bufio"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
)

// privateBus starts a session bus of its own for the test and points DBUS_SESSION_BUS_ADDRESS
// at it.
func privateBus(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed")
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
}

func TestSingleInstance(t *testing.T) {
	privateBus(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	first, ok, err := claimInstance(log)
	if err != nil || !ok || first == nil {
		t.Fatalf("first launch: instance %v, first %v, err %v", first, ok, err)
	}
	for i := range 2 { // a second launch, twice: each one is told to leave and shows the window
		second, ok, err := claimInstance(log)
		if err != nil || ok || second != nil {
			t.Fatalf("launch %d while one runs: instance %v, first %v, err %v", i+2, second, ok, err)
		}
		<-first.Shown() // Show was called before claimInstance returned
	}
	if err := first.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	again, ok, err := claimInstance(log)
	if err != nil || !ok {
		t.Fatalf("launch after the first quit: first %v, err %v", ok, err)
	}
	_ = again.Close()
}

func TestSingleInstanceWithoutBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	t.Setenv("DISPLAY", "")
	in, ok, err := claimInstance(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || !ok || in != nil {
		t.Fatalf("without a bus the launch goes ahead alone: instance %v, first %v, err %v", in, ok, err)
	}
	if in.Shown() != nil || in.Close() != nil {
		t.Error("a nil instance neither shows nor fails to close")
	}
}
