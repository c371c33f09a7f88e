package gateway

import (
	"context"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// chatStream is the format of a streamed chat answer: OpenAI chat.completion.chunk objects.
type chatStream struct {
	g        *Gateway
	req      *llm.ChatRequest // as the client sent it
	cur      *llm.ChatRequest // what open sends: req, or a continuation of it
	alias    string           // the alias every chunk names
	modelBuf []byte           // chunks with the model rewritten, one buffer for the whole answer
	dropBuf  []byte           // chunks without their "usage": null, likewise
	head     chunkHead        // how the stream's chunks begin, learnt from the last one read in full
	seen     seenChunks       // the chunks the client received, read back when needed

	// An answer cut mid-stream may be continued (continue.go).
	rest     []*snapshot.Deployment // where: the plan's deployments that take a prefill
	spl      *splicer               // set while a continuation is relayed
	finished bool                   // a finish reason reached the client
}

// streamChat relays a streamed chat answer (see relay).
func (g *Gateway) streamChat(ctx context.Context, s *snapshot.Snapshot, c *Call, req *llm.ChatRequest,
	w StreamWriter, rt route, plan []*snapshot.Deployment, rec *record, cp *cachePlan) error {
	cr, _ := g.chatRelays.Get().(*chatRelay)
	if cr == nil {
		cr = &chatRelay{}
	}
	cr.chatStream.reuse(g, req)
	cr.relay = relay{g: g, c: c, w: w, rec: rec, format: &cr.chatStream, cache: cp, onWait: cr.onWait}
	err := cr.run(ctx, s, rt, plan)
	// Settled: nothing refers to the relay any more (the upstream stream is closed, the
	// cached chunks are copies). Its buffers serve the next answer.
	cr.relay = relay{onWait: cr.onWait}
	cr.chatStream.reuse(nil, nil)
	g.chatRelays.Put(cr)
	return err
}

// chatRelay is a relay with its chat stream format, in one allocation that is used again.
type chatRelay struct {
	relay
	chatStream chatStream
}

// reuse makes f the format of a new answer to req, keeping the buffers it has.
func (f *chatStream) reuse(g *Gateway, req *llm.ChatRequest) {
	head, buf, drop := f.head, f.modelBuf[:0], f.dropBuf[:0]
	head.forget()
	*f = chatStream{head: head, modelBuf: buf, dropBuf: drop}
	if req != nil {
		f.g, f.req, f.cur, f.alias, f.seen = g, req, req, req.Model, seenChunks{pool: &g.seenBufs}
	}
}

func (f *chatStream) open(ctx context.Context, d *snapshot.Deployment) (llm.ChunkStream, error) {
	return d.Provider.Adapter.ChatStream(ctx, f.cur, d.ProviderModel)
}

func (f *chatStream) name(alias string) {
	f.alias = alias
	f.head.forget() // it names the alias
}

func (g *Gateway) newChatStream(req *llm.ChatRequest) *chatStream {
	f := &chatStream{}
	f.reuse(g, req)
	return f
}

// take notes a chunk's usage and keeps it (its text is read back only if needed). Chunks
// without choices (the usage chunk, Azure's prompt-filter chunk) reach the client only as the
// usage chunk it asked for.
func (f *chatStream) take(chunk []byte, sent *delivered) ([]byte, bool) {
	if f.spl != nil {
		var keep bool
		if chunk, keep = f.spl.splice(chunk); !keep {
			return nil, false
		}
	}
	ci, fast := f.head.read(chunk)
	from := ci.choicesAt // the head holds no finish reason
	if !fast {
		ci, from = inspectChunk(chunk), 0
		f.head.learn(chunk, ci, f.alias)
	}
	if ci.usage.IsObject() {
		if u := llm.ParseUsageResult(ci.usage); u.PromptTokens+u.CompletionTokens > 0 {
			sent.usage, sent.gotUsage = u, true
		}
	}
	if !ci.choices && !(f.req.WantsUsage() && ci.usage.IsObject()) {
		return nil, false
	}
	drop := ci.dropEnd > 0 && !f.req.WantsUsage()
	if drop && !(fast && f.head.inHead) { // else named drops it as it copies the chunk
		chunk, ci = f.dropNullUsage(chunk, ci)
		drop = false
	}
	f.finished = f.finished || hasFinish(chunk[from:])
	f.seen.add(chunk, !sent.gotUsage)
	if fast {
		return f.head.named(chunk, ci, drop, &f.modelBuf), true
	}
	return f.aliased(chunk, ci.model), true
}

// dropNullUsage returns chunk without its "usage": null (chunk[ci.dropAt:ci.dropEnd]), with
// ci's offsets after it moved to match. Conduit asks every upstream for usage; OpenAI then
// adds "usage": null to every chunk, which a client that did not ask for usage would not get
// from OpenAI.
func (f *chatStream) dropNullUsage(chunk []byte, ci chunkInfo) ([]byte, chunkInfo) {
	at, end := ci.dropAt, ci.dropEnd
	f.dropBuf = append(append(f.dropBuf[:0], chunk[:at]...), chunk[end:]...)
	n := end - at
	if ci.modelAt >= end {
		ci.modelAt, ci.modelEnd = ci.modelAt-n, ci.modelEnd-n
	}
	if ci.model.Index >= end {
		ci.model.Index -= n
	}
	ci.dropAt, ci.dropEnd = 0, 0
	return f.dropBuf, ci
}

// aliased returns chunk naming the alias that answers as its model; model is the chunk's.
func (f *chatStream) aliased(chunk []byte, model gjson.Result) []byte {
	if model.Str == f.alias {
		return chunk
	}
	if out, ok := llm.AppendSplice(f.modelBuf[:0], chunk, model, f.alias); ok {
		f.modelBuf = out
		return out
	}
	return setModelAt(chunk, model, f.alias)
}

// estimate counts the tokens of the request and of the text streamed.
func (f *chatStream) estimate(d *snapshot.Deployment, sent *delivered) (llm.Usage, bool) {
	f.seen.fold(!sent.gotUsage)
	return f.g.countUsage(d, f.req, f.seen.text.String()), true
}

// release gives back what the stream held for the answer, once it is settled.
func (f *chatStream) release() { f.seen.release() }

// countUsage counts the tokens of a streamed answer whose upstream reported no usage.
func (g *Gateway) countUsage(d *snapshot.Deployment, req *llm.ChatRequest, text string) llm.Usage {
	prompt := 0
	if err := req.Decode(); err == nil {
		prompt = g.tokens.Prompt(d.ProviderModel, req)
	}
	completion := g.tokens.Count(d.ProviderModel, text)
	return llm.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// chunkInfo is what the relay needs from one stream chunk.
type chunkInfo struct {
	model     gjson.Result // "model", with its offset in the chunk
	usage     gjson.Result
	choices   bool // a non-empty "choices" array
	choicesAt int  // the offset of the value of "choices" (0 without one)
	// Where chunkHead.read found a model after the choices: chunk[modelAt:modelEnd].
	modelAt, modelEnd int
	// A "usage": null member, with a comma next to it: chunk[dropAt:dropEnd] (dropEnd 0: none).
	dropAt, dropEnd int
}

// inspectChunk reads a chunk's top-level keys in one pass.
//
// The chunk is read in place, without a string copy: the results point into it and are used
// only until the chunk's buffer is reused (the next stream read).
func inspectChunk(chunk []byte) chunkInfo {
	var ci chunkInfo
	llm.Members(chunk, func(keyAt int, key []byte, v, end int) bool {
		switch llm.Key(key) {
		case "model":
			ci.model = llm.ValueAt(chunk, v, end)
		case "usage":
			ci.usage = llm.ValueAt(chunk, v, end)
			ci.dropAt, ci.dropEnd = 0, 0
			if ci.usage.Type == gjson.Null {
				ci.dropAt, ci.dropEnd = memberSpan(chunk, keyAt, end)
			}
		case "choices":
			if ci.choicesAt == 0 {
				ci.choicesAt = v
			}
			// An array with an element; null or anything else: no choices.
			ci.choices = ci.choices || chunk[v] == '[' && skipSpace(chunk, v+1) < end-1
		}
		return true
	})
	return ci
}

// memberSpan is what to cut from the object b to drop its member whose key begins at keyAt and
// whose value ends at end: the member with the comma before it, or, when it comes first, with
// the comma after it. It is 0, 0 when the bytes around it are not a member's.
func memberSpan(b []byte, keyAt, end int) (from, to int) {
	i := keyAt - 1
	for i >= 0 && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i--
	}
	if i < 0 || end > len(b) {
		return 0, 0
	}
	if b[i] == ',' {
		return i, end
	}
	if j := skipSpace(b, end); b[i] == '{' && j < len(b) && b[j] == ',' {
		return keyAt, skipSpace(b, j+1)
	}
	return 0, 0
}

// setModelAt makes a chunk name the alias the client asked for; m is the chunk's "model".
func setModelAt(b []byte, m gjson.Result, alias string) []byte {
	if out, ok := llm.SpliceString(b, m, alias); ok {
		return out
	}
	if out, err := sjson.SetBytesOptions(b, "model", alias, inPlace); err == nil {
		return out
	}
	return b
}

var inPlace = &sjson.Options{Optimistic: true, ReplaceInPlace: true}

// setModel makes the response name the alias the client asked for.
func setModel(b []byte, alias string) []byte {
	m := gjson.GetBytes(b, "model")
	if m.Exists() && m.Str == alias {
		return b
	}
	if out, ok := llm.SpliceString(b, m, alias); ok {
		return out
	}
	out, err := sjson.SetBytesOptions(b, "model", alias, inPlace)
	if err != nil {
		return b
	}
	return out
}

var _ streamFormat = (*chatStream)(nil)
