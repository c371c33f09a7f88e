// Package tokens counts tokens with OpenAI's BPE encodings (tiktoken, loaded offline from
// data compiled into the binary), for usage the upstream did not report.
package tokens

import (
	"strings"
	"sync"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Counter counts tokens. The encodings load on first use (about 100 ms); the zero value is
// ready to use and safe for concurrent use.
type Counter struct {
	once   sync.Once
	o200k  *tiktoken.Tiktoken
	cl100k *tiktoken.Tiktoken
}

func (c *Counter) load() {
	c.once.Do(func() {
		// The library's default loader downloads BPE files at run time; ours is compiled in.
		tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
		c.o200k, _ = tiktoken.GetEncoding("o200k_base")
		c.cl100k, _ = tiktoken.GetEncoding("cl100k_base")
	})
}

// encoding picks o200k for the GPT-4o generation and later, cl100k for everything else (a fair
// approximation for other vendors' models too).
func (c *Counter) encoding(model string) *tiktoken.Tiktoken {
	c.load()
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	for _, p := range []string{"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o"} {
		if strings.HasPrefix(m, p) && c.o200k != nil {
			return c.o200k
		}
	}
	return c.cl100k
}

// Count returns the number of tokens of text for model. Should the encodings fail to load,
// it falls back to one token per four bytes.
func (c *Counter) Count(model, text string) int {
	if text == "" {
		return 0
	}
	enc := c.encoding(model)
	if enc == nil {
		return (len(text) + 3) / 4
	}
	return len(enc.EncodeOrdinary(text))
}

// Prompt estimates a chat request's prompt tokens the way OpenAI counts them: each message's
// text plus a few tokens of framing per message, and three to prime the reply.
func (c *Counter) Prompt(model string, req *llm.ChatRequest) int {
	n := 3
	for i := range req.Messages {
		m := &req.Messages[i]
		n += 3 + c.Count(model, m.Content.String()) + c.Count(model, m.Name)
		for _, tc := range m.ToolCalls {
			n += c.Count(model, tc.Function.Name) + c.Count(model, tc.Function.Arguments)
		}
	}
	return n
}
