package anthropic

// Request translation: canonical OpenAI Chat Completions request → Anthropic Messages request.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	wire "github.com/conduit-gw/conduit/internal/anthropicwire"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// jsonToolName names the tool that carries a response_format json_object answer.
const jsonToolName = "json_response"

// translated is an upstream request body and what the answer's translation must know.
type translated struct {
	body []byte
	// jsonTool, when set, is the forced tool whose input is the JSON answer that
	// response_format asked for: its tool_use becomes the message content.
	jsonTool string
}

// translateRequest builds the Messages request for req. It does not modify req, so the router
// can replay it on another deployment. Parameters Anthropic cannot honour are refused with a
// 400 naming them rather than dropped.
func translateRequest(req *llm.ChatRequest, model string, stream bool) (*translated, error) {
	if err := req.Decode(); err != nil { // the translation reads the typed request
		return nil, err
	}
	if err := checkUnsupported(req); err != nil {
		return nil, err
	}
	out := request{Model: model, Stream: stream, StopSequences: req.Stop, TopP: req.TopP}
	if err := translateMessages(req.Messages, &out); err != nil {
		return nil, err
	}

	out.MaxTokens = DefaultMaxTokens
	switch {
	case req.MaxCompletionTokens != nil:
		out.MaxTokens = *req.MaxCompletionTokens
		if out.MaxTokens < 1 {
			return nil, llm.InvalidRequest("max_completion_tokens", "max_completion_tokens must be at least 1")
		}
	case req.MaxTokens != nil:
		out.MaxTokens = *req.MaxTokens
		if out.MaxTokens < 1 {
			return nil, llm.InvalidRequest("max_tokens", "max_tokens must be at least 1")
		}
	}
	if t := req.Temperature; t != nil {
		if *t < 0 || *t > 1 {
			return nil, llm.InvalidRequest("temperature", "temperature must be between 0 and 1 for anthropic")
		}
		out.Temperature = t
	}
	if k := gjson.GetBytes(req.Raw, "top_k"); k.Type == gjson.Number {
		v := k.Int()
		out.TopK = &v // not OpenAI's, but clients send it for Anthropic models (extra_body)
	}
	if req.User != "" {
		out.Metadata = &metadata{UserID: req.User}
	}

	tr := &translated{}
	if err := translateTools(req, &out); err != nil {
		return nil, err
	}
	name, err := translateResponseFormat(req, &out)
	if err != nil {
		return nil, err
	}
	tr.jsonTool = name

	body, err := llm.Encode(&out)
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", Type, err)
	}
	tr.body = body
	return tr, nil
}

// checkUnsupported refuses OpenAI parameters that have no Anthropic equivalent when they are
// set to anything but their no-op default.
func checkUnsupported(req *llm.ChatRequest) error {
	unsupported := func(param, why string) error {
		return llm.InvalidRequest(param, param+" "+why+" is not supported by anthropic")
	}
	if req.N != nil && *req.N > 1 {
		return unsupported("n", "greater than 1")
	}
	if req.Seed != nil {
		return unsupported("seed", "(deterministic sampling)")
	}
	if p := req.FrequencyPenalty; p != nil && *p != 0 {
		return unsupported("frequency_penalty", "other than 0")
	}
	if p := req.PresencePenalty; p != nil && *p != 0 {
		return unsupported("presence_penalty", "other than 0")
	}
	if len(req.Raw) == 0 {
		return nil
	}
	raw := gjson.ParseBytes(req.Raw)
	set := func(key string) bool {
		v := raw.Get(key)
		switch {
		case v.Type == gjson.Null || v.Type == gjson.False:
			return false
		case v.Type == gjson.Number:
			return v.Num != 0
		case v.Type == gjson.String:
			return v.Str != ""
		case v.IsObject():
			return len(v.Map()) > 0
		case v.IsArray():
			return len(v.Array()) > 0
		}
		return v.Exists()
	}
	for _, p := range []struct{ key, why string }{
		{"logprobs", ""}, {"top_logprobs", ""}, {"logit_bias", ""},
		{"functions", "(legacy; use tools)"}, {"function_call", "(legacy; use tool_choice)"},
		{"audio", "output"}, {"prediction", "(predicted outputs)"},
		{"web_search_options", ""}, {"reasoning_effort", ""},
	} {
		if set(p.key) {
			why := p.why
			if why == "" {
				why = "set"
			}
			return unsupported(p.key, why)
		}
	}
	if m := raw.Get("modalities"); m.IsArray() {
		for _, v := range m.Array() {
			if v.Str != "text" {
				return unsupported("modalities", "other than [\"text\"]")
			}
		}
	}
	return nil
}

// translateMessages lifts system and developer messages into the top-level system prompt and
// turns the rest into alternating user/assistant turns: consecutive messages of one role
// (including tool results, which Anthropic takes from the user) are merged into one turn.
func translateMessages(msgs []llm.Message, out *request) error {
	for i := range msgs {
		m := &msgs[i]
		var (
			role   string
			blocks []wire.Block
			err    error
		)
		switch m.Role {
		case llm.RoleSystem, llm.RoleDeveloper:
			if err := systemBlocks(m, i, out); err != nil {
				return err
			}
			continue
		case llm.RoleUser:
			role = llm.RoleUser
			blocks, err = userBlocks(m.Content, i)
		case llm.RoleAssistant:
			role = llm.RoleAssistant
			blocks, err = assistantBlocks(m, i)
		case llm.RoleTool:
			role = llm.RoleUser
			var b wire.Block
			b, err = toolResultBlock(m, i)
			blocks = []wire.Block{b}
		default:
			return msgError(i, "role "+quote(m.Role)+" is not supported by anthropic")
		}
		if err != nil {
			return err
		}
		if len(blocks) == 0 {
			continue // Anthropic refuses empty turns; dropping one keeps the others alternating
		}
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			continue
		}
		out.Messages = append(out.Messages, message{Role: role, Content: blocks})
	}
	if len(out.Messages) == 0 {
		return llm.InvalidRequest("messages", "anthropic needs at least one user or assistant message with content")
	}
	return nil
}

func systemBlocks(m *llm.Message, i int, out *request) error {
	if !m.Content.IsParts {
		if m.Content.Text != "" {
			out.System = append(out.System, wire.Block{Type: wire.BlockText, Text: m.Content.Text})
		}
		return nil
	}
	for _, p := range m.Content.Parts {
		if p.Type != llm.PartText {
			return msgError(i, m.Role+" messages may only hold text for anthropic, not "+quote(p.Type))
		}
		if p.Text != "" {
			out.System = append(out.System, wire.Block{Type: wire.BlockText, Text: p.Text})
		}
	}
	return nil
}

func userBlocks(c llm.Content, i int) ([]wire.Block, error) {
	if !c.IsParts {
		if c.Text == "" {
			return nil, nil
		}
		return []wire.Block{{Type: wire.BlockText, Text: c.Text}}, nil
	}
	var out []wire.Block
	for _, p := range c.Parts {
		b, ok, err := partBlock(p, i)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, b)
		}
	}
	return out, nil
}

// partBlock translates one content part; ok is false for an empty text part.
func partBlock(p llm.ContentPart, i int) (wire.Block, bool, error) {
	switch p.Type {
	case llm.PartText:
		return wire.Block{Type: wire.BlockText, Text: p.Text}, p.Text != "", nil
	case llm.PartImageURL:
		if p.ImageURL == nil {
			return wire.Block{}, false, msgError(i, "image_url content parts need an image_url.url")
		}
		src, err := imageSource(p.ImageURL.URL, i)
		return wire.Block{Type: wire.BlockImage, Source: src}, err == nil, err
	case llm.PartFile:
		src, err := fileSource(p.Extra, i)
		return wire.Block{Type: wire.BlockDocument, Source: src}, err == nil, err
	default:
		return wire.Block{}, false, msgError(i, "content parts of type "+quote(p.Type)+" are not supported by anthropic")
	}
}

// Image media types Anthropic accepts inline.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// imageSource turns an image_url into a base64 source (data: URL) or a url source (http/https).
func imageSource(u string, i int) (*wire.Source, error) {
	if strings.HasPrefix(u, "data:") {
		mt, data, err := parseDataURL(u)
		if err != nil {
			return nil, msgError(i, "image_url: "+err.Error())
		}
		if !imageTypes[mt] {
			return nil, msgError(i, "image_url: media type "+quote(mt)+" is not supported by anthropic (jpeg, png, gif, webp)")
		}
		return &wire.Source{Type: "base64", MediaType: mt, Data: data}, nil
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return &wire.Source{Type: "url", URL: u}, nil
	}
	return nil, msgError(i, "image_url.url must be an https or data: URL")
}

// fileSource turns an OpenAI file part with inline PDF data into a document source.
func fileSource(raw json.RawMessage, i int) (*wire.Source, error) {
	f := gjson.GetBytes(raw, "file")
	data := f.Get("file_data").Str
	if data == "" {
		return nil, msgError(i, "file parts need file.file_data for anthropic (file_id is not supported)")
	}
	if !strings.HasPrefix(data, "data:") {
		data = "data:application/pdf;base64," + data // OpenAI also accepts bare base64
	}
	mt, b64, err := parseDataURL(data)
	if err != nil {
		return nil, msgError(i, "file.file_data: "+err.Error())
	}
	if mt != "application/pdf" {
		return nil, msgError(i, "file parts of type "+quote(mt)+" are not supported by anthropic (only application/pdf)")
	}
	return &wire.Source{Type: "base64", MediaType: mt, Data: b64}, nil
}

// parseDataURL splits data:<media type>[;params];base64,<data>.
func parseDataURL(u string) (mediaType, data string, err error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok || data == "" {
		return "", "", fmt.Errorf("malformed data: URL")
	}
	params := strings.Split(meta, ";")
	if params[len(params)-1] != "base64" {
		return "", "", fmt.Errorf("data: URLs must be base64-encoded")
	}
	return strings.ToLower(strings.TrimSpace(params[0])), data, nil
}

func assistantBlocks(m *llm.Message, i int) ([]wire.Block, error) {
	var out []wire.Block
	if m.Content.IsParts {
		for _, p := range m.Content.Parts {
			if p.Type != llm.PartText {
				return nil, msgError(i, "assistant messages may only hold text for anthropic, not "+quote(p.Type))
			}
			if p.Text != "" {
				out = append(out, wire.Block{Type: wire.BlockText, Text: p.Text})
			}
		}
	} else if m.Content.Text != "" {
		out = append(out, wire.Block{Type: wire.BlockText, Text: m.Content.Text})
	}
	for j, tc := range m.ToolCalls {
		id := toolID(tc.ID)
		if id == "" {
			return nil, msgError(i, fmt.Sprintf("tool_calls[%d] needs an id", j))
		}
		input := json.RawMessage(`{}`)
		if args := strings.TrimSpace(tc.Function.Arguments); args != "" {
			if !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
				return nil, msgError(i, fmt.Sprintf("tool_calls[%d].function.arguments must be a JSON object", j))
			}
			input = json.RawMessage(args)
		}
		out = append(out, wire.Block{Type: wire.BlockToolUse, ID: id, Name: tc.Function.Name, Input: input})
	}
	return out, nil
}

func toolResultBlock(m *llm.Message, i int) (wire.Block, error) {
	id := toolID(m.ToolCallID)
	if id == "" {
		return wire.Block{}, msgError(i, "tool messages need a tool_call_id")
	}
	b := wire.Block{Type: wire.BlockToolResult, ToolUseID: id}
	c := m.Content
	if !c.IsParts {
		if c.Text != "" {
			b.Content, _ = llm.Encode(c.Text)
		}
		return b, nil
	}
	var parts []wire.Block
	images := false
	for _, p := range c.Parts {
		pb, ok, err := partBlock(p, i)
		if err != nil {
			return wire.Block{}, err
		}
		if ok {
			images = images || pb.Type != wire.BlockText
			parts = append(parts, pb)
		}
	}
	switch {
	case len(parts) == 0:
	case images:
		b.Content, _ = llm.Encode(parts)
	default:
		b.Content, _ = llm.Encode(c.String())
	}
	return b, nil
}

// toolID makes a tool call id acceptable to Anthropic (^[a-zA-Z0-9_-]+$). Other providers'
// ids (say "functions.get_weather:0") are rewritten the same way in the tool_use and in the
// tool_result that answers it, so they still match.
func toolID(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, id)
}

// translateTools maps tools, tool_choice and parallel_tool_calls.
func translateTools(req *llm.ChatRequest, out *request) error {
	for _, t := range req.Tools {
		schema := providers.ToolParameters(t)
		if schema == nil {
			schema = json.RawMessage(defaultInputSchema)
		}
		out.Tools = append(out.Tools, wire.Tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	choice, err := parseToolChoice(req.ToolChoice)
	if err != nil {
		return err
	}
	if len(out.Tools) == 0 {
		return nil // tool_choice and parallel_tool_calls mean nothing without tools
	}
	if req.ParallelToolCalls != nil && !*req.ParallelToolCalls {
		if choice == nil {
			choice = &wire.ToolChoice{Type: "auto"}
		}
		choice.DisableParallelToolUse = choice.Type != "none"
	}
	out.ToolChoice = choice
	return nil
}

func parseToolChoice(raw json.RawMessage) (*wire.ToolChoice, error) {
	mode, name, err := providers.ParseToolChoice(Type, raw)
	switch mode {
	case "":
		return nil, err
	case providers.ToolChoiceRequired:
		return &wire.ToolChoice{Type: "any"}, nil
	case providers.ToolChoiceFunction:
		return &wire.ToolChoice{Type: "tool", Name: name}, nil
	}
	return &wire.ToolChoice{Type: mode}, nil // auto, none
}

// translateResponseFormat implements json_object and json_schema with a forced tool whose
// input schema is the wanted format: Anthropic then validates the answer against it on every
// Claude model. The tool's input comes back as the message content. It returns that tool's
// name ("" when no JSON format was asked for).
func translateResponseFormat(req *llm.ChatRequest, out *request) (string, error) {
	format, js, err := providers.ResponseFormat(Type, req.ResponseFormat)
	var t wire.Tool
	switch format {
	case "":
		return "", err
	case providers.FormatJSONObject:
		t = wire.Tool{Name: jsonToolName, Description: "Give your answer as a JSON object.",
			InputSchema: json.RawMessage(`{"type":"object"}`)}
	case providers.FormatJSONSchema:
		t = wire.Tool{Name: js.Get("name").Str, Description: js.Get("description").Str, InputSchema: json.RawMessage(`{"type":"object"}`)}
		if t.Name == "" {
			t.Name = jsonToolName
		}
		if t.Description == "" {
			t.Description = "Give your answer as a JSON object of this schema."
		}
		if s := js.Get("schema"); s.Exists() {
			if !s.IsObject() || (s.Get("type").Exists() && s.Get("type").Str != "object") {
				return "", llm.InvalidRequest("response_format",
					"response_format json_schema.schema must describe a JSON object for anthropic")
			}
			t.InputSchema = json.RawMessage(s.Raw)
		}
	}
	if len(out.Tools) > 0 {
		return "", llm.InvalidRequest("response_format",
			"response_format "+format+" together with tools is not supported by anthropic")
	}
	out.Tools = []wire.Tool{t}
	out.ToolChoice = &wire.ToolChoice{Type: "tool", Name: t.Name}
	return t.Name, nil
}

func msgError(i int, msg string) *llm.Error {
	return llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: %s", i, msg))
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
