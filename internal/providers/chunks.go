package providers

import (
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Chunks writes the OpenAI chat.completion.chunk objects of a translated stream with one
// choice: every chunk carries the answer's id, model and creation time, and the first is the
// assistant role chunk, queued once before anything else the choice says. A decoder sets the
// envelope (ID may be learnt from the upstream before the first chunk) and queues through it.
type Chunks struct {
	ID      string
	Model   string
	Created int64
	started bool // the role chunk was queued
}

// Start queues the role chunk ({"role":"assistant","content":""}) unless it was queued.
func (w *Chunks) Start(q *Queue) {
	if w.started {
		return
	}
	w.started = true
	empty := ""
	w.push(q, &llm.ChatChunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant, Content: &empty}}}})
}

// Started reports whether the role chunk was queued.
func (w *Chunks) Started() bool { return w.started }

// Delta queues a chunk with d, after the role chunk.
func (w *Chunks) Delta(q *Queue, d llm.Delta) {
	w.Start(q)
	w.push(q, &llm.ChatChunk{Choices: []llm.ChunkChoice{{Delta: d}}})
}

// Content queues a content delta, after the role chunk.
func (w *Chunks) Content(q *Queue, text string) { w.Delta(q, llm.Delta{Content: &text}) }

// Finish queues the chunk with the choice's finish_reason (and an empty delta), after the
// role chunk.
func (w *Chunks) Finish(q *Queue, reason string) {
	w.Start(q)
	w.push(q, &llm.ChatChunk{Choices: []llm.ChunkChoice{{FinishReason: &reason}}})
}

// Usage queues the usage-only chunk {"choices":[],"usage":{...}} that ends a stream.
func (w *Chunks) Usage(q *Queue, u llm.Usage) {
	w.push(q, &llm.ChatChunk{Choices: []llm.ChunkChoice{}, Usage: &u})
}

func (w *Chunks) push(q *Queue, c *llm.ChatChunk) { q.Push(EncodeChunk(c, w.ID, w.Model, w.Created)) }

// EncodeChunk fills a chat.completion.chunk's envelope and encodes it on one line.
func EncodeChunk[C any](c *llm.Envelope[C], id, model string, created int64) []byte {
	c.ID, c.Object, c.Created, c.Model = id, "chat.completion.chunk", created, model
	b, _ := llm.Encode(c) // strings, ints and pointers to them: encoding cannot fail
	return b
}

// TypedEvent reads an event of a stream whose events are JSON objects naming their type in
// "type" (Anthropic, Cohere): it returns the type (the SSE event name where the data names
// none) and the parsed object. An event without data is typed by its
// name; data that is not one JSON object is a "malformed stream event" error.
func TypedEvent(provider string, name, data []byte) (typ string, obj gjson.Result, err error) {
	if len(data) > 0 {
		if _, e := EventObject(provider, data); e != nil {
			return "", obj, e
		}
		obj = gjson.ParseBytes(data)
		typ = obj.Get("type").Str
	}
	if typ == "" {
		typ = string(name)
	}
	return typ, obj, nil
}
