package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ready" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "CONDUIT_ADDR" {
				return v
			}
			return ""
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	tests := []struct {
		name   string
		args   []string
		env    string
		status int
		want   int
	}{
		{"ready", []string{"--addr", addr}, "", http.StatusOK, 0},
		{"not ready", []string{"--addr", addr}, "", http.StatusServiceUnavailable, 1},
		{"address from the environment, wildcard host", nil, "0.0.0.0:" + port, http.StatusOK, 0},
		{"nothing listening", []string{"--addr", closed}, "", http.StatusOK, 1},
		{"bad arguments", []string{"--bogus"}, "", http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			if got := run(append([]string{"healthcheck"}, tt.args...), env(tt.env), io.Discard); got != tt.want {
				t.Errorf("exit %d, want %d", got, tt.want)
			}
		})
	}
}
