package gateway

import (
	"errors"

	"github.com/conduit-gw/conduit/internal/llm"
)

// failedBeforeFirstChunk is the error of a stream that ended before its first chunk. Nothing
// has reached the client yet, so another deployment may serve the request: the error is
// retryable unless the client itself went away. Adapters only report what happened; this
// rule is the gateway's.
func failedBeforeFirstChunk(err error) error {
	var e *llm.Error
	if !errors.As(err, &e) || e.Retryable || e.Status == llm.StatusClientClosed {
		return err
	}
	r := *e
	r.Retryable = true
	return &r
}
