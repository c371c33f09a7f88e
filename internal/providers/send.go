package providers

import (
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// maxStaleRetries bounds the resends of one request over dead pooled connections.
const maxStaleRetries = 3

// Send performs req with client. When a pooled keep-alive connection turns out to have been
// closed by the upstream (typically after the upstream restarted) and the request failed
// before any response byte arrived, it is sent again instead of failing: net/http resends
// only some of these cases for a POST. Each dead connection leaves the pool as it fails, so
// a few resends reach a fresh one. The body must be replayable (GetBody set, as
// http.NewRequest does for in-memory bodies).
func Send(client *http.Client, req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		st := newSendTrace()
		resp, err := client.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), &st.trace)))
		if err == nil || !st.reused.Load() || st.gotByte.Load() || req.Context().Err() != nil ||
			attempt == maxStaleRetries || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			body, berr := req.GetBody()
			if berr != nil {
				return resp, err
			}
			next.Body = body
		}
		req = next
	}
}

// sendTrace is what Send learns of one round trip: whether it went over a pooled connection
// and whether a response byte came back. One allocation holds the trace and what it notes.
type sendTrace struct {
	trace           httptrace.ClientTrace
	reused, gotByte atomic.Bool
}

func newSendTrace() *sendTrace {
	st := &sendTrace{}
	st.trace.GotConn = func(i httptrace.GotConnInfo) { st.reused.Store(i.Reused) }
	st.trace.GotFirstResponseByte = func() { st.gotByte.Store(true) }
	return st
}
