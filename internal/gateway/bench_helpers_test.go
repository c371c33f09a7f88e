package gateway

import (
	"context"

	"github.com/conduit-gw/conduit/internal/usage"
)

type discardSink struct{}

func (discardSink) InsertLogs(context.Context, []usage.Record) error { return nil }
