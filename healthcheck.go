package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck is `conduit healthcheck [--addr A]`: it asks the server listening on the address
// (CONDUIT_ADDR, a wildcard host meaning this machine) for /ready and exits 0 when it answers
// 200. Container images without a shell or curl use it as their HEALTHCHECK.
func healthcheck(args []string, getenv func(string) string, stderr io.Writer) int {
	addr := envOr(getenv("CONDUIT_ADDR"), "127.0.0.1:8800")
	if len(args) == 2 && args[0] == "--addr" {
		addr = args[1]
	} else if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: conduit healthcheck [--addr host:port]")
		if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
			return 0
		}
		return 2
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(stderr, "conduit healthcheck:", err)
		return 2
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/ready", nil)
	if err != nil {
		fmt.Fprintln(stderr, "conduit healthcheck:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "conduit healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "conduit healthcheck: /ready answered", resp.Status)
		return 1
	}
	return 0
}
