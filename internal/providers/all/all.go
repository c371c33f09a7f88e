// Package all registers every provider adapter of this build. Adding an adapter means adding
// one line here; nothing else switches on provider types.
package all

import (
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/anthropic"
	"github.com/conduit-gw/conduit/internal/providers/cohere"
	"github.com/conduit-gw/conduit/internal/providers/gemini"
	"github.com/conduit-gw/conduit/internal/providers/openai"
)

// Register adds every adapter to r.
func Register(r *providers.Registry) {
	openai.Register(r)
	anthropic.Register(r)
	gemini.Register(r)
	cohere.Register(r)
}
