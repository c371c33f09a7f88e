package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

// TestTransient: which failures are retried on the same deployment.
func TestTransient(t *testing.T) {
	reset := &url.Error{Op: "Post", URL: "http://up", Err: &net.OpError{Op: "read", Net: "tcp",
		Err: os.NewSyscallError("read", syscall.ECONNRESET)}}
	refused := &url.Error{Op: "Post", URL: "http://up", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	tests := []struct {
		name string
		err  *llm.Error
		want bool
	}{
		{"429", &llm.Error{Code: llm.CodeUpstreamError, UpstreamStatus: 429, Retryable: true}, true},
		{"500", &llm.Error{Code: llm.CodeUpstreamError, UpstreamStatus: 500, Retryable: true}, true},
		{"503", &llm.Error{Code: llm.CodeUpstreamError, UpstreamStatus: 503, Retryable: true}, true},
		{"upstream 504 answer", &llm.Error{Code: llm.CodeUpstreamTimeout, UpstreamStatus: 504, Retryable: true}, true},
		{"404 model missing", &llm.Error{Code: llm.CodeUpstreamError, UpstreamStatus: 404, Retryable: true}, false},
		{"400", &llm.Error{Code: llm.CodeInvalidRequest, UpstreamStatus: 400}, false},
		{"reset before the response", llm.Upstream("up could not be reached", reset).Retry(), true},
		{"connection refused", llm.Upstream("up could not be reached", refused).Retry(), true},
		{"closed before the response", llm.Upstream("up could not be reached", fmt.Errorf("post: %w", io.EOF)).Retry(), true},
		{"our timeout", llm.UpstreamTimeout("up did not answer in time", context.DeadlineExceeded).Retry(), false},
		{"first token limit", llm.UpstreamTimeout("up sent nothing within 1s", nil).Retry(), false},
		{"misconfigured", llm.Upstream("provider is misconfigured", errors.New("no API key")).Retry(), false},
		{"empty stream", llm.Upstream("provider sent an empty stream", nil).Retry(), false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("%s: transient = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestTierBackoffs: the pending list of a tier waits for the deployment whose back-off ends
// first, and counts time spent elsewhere off every back-off.
func TestTierBackoffs(t *testing.T) {
	ps := []pending{{wait: 300}, {wait: 100}, {done: true}}
	if p := nextReady(ps); p != nil {
		t.Fatalf("ready: %+v", *p)
	}
	if w := soonest(ps); w != &ps[1] {
		t.Fatalf("soonest: %+v", w)
	}
	elapse(ps, 100)
	if p := nextReady(ps); p != &ps[1] || ps[0].wait != 200 {
		t.Fatalf("after 100: ready %v, first waits %v", p, ps[0].wait)
	}
	ps[1].done = true
	elapse(ps, 200)
	if p := nextReady(ps); p != &ps[0] {
		t.Fatalf("after 300: ready %v", p)
	}
	ps[0].done = true
	if soonest(ps) != nil || nextReady(ps) != nil {
		t.Fatal("a tier with every deployment done still has one to call")
	}
}
