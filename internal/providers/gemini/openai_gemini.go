package gemini

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// This file translates an OpenAI chat completion request into a Gemini generateContent request.

// genRequest is a generateContent request body.
type genRequest struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	Tools             []tool            `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

// part is one Part; exactly one of the data fields is set.
type part struct {
	Text             *string           `json:"text,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
	ThoughtSignature string            `json:"thoughtSignature,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type functionResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type tool struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

// functionDeclaration passes the client's JSON Schema as parametersJsonSchema, which takes
// JSON Schema as is (the older "parameters" takes only an OpenAPI subset and rejects, for
// instance, the additionalProperties that strict OpenAI tools carry).
type functionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig functionCallingConfig `json:"functionCallingConfig"`
}

type functionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type generationConfig struct {
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               *int64          `json:"topK,omitempty"`
	MaxOutputTokens    *int            `json:"maxOutputTokens,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	CandidateCount     *int            `json:"candidateCount,omitempty"`
	Seed               *int64          `json:"seed,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ThinkingConfig     *thinkingConfig `json:"thinkingConfig,omitempty"`
}

type thinkingConfig struct {
	ThinkingBudget *int   `json:"thinkingBudget,omitempty"`
	ThinkingLevel  string `json:"thinkingLevel,omitempty"`
}

// skipSignature is the value Gemini documents for function calls whose thought signature was
// lost (here: the client replays an OpenAI-shaped history). Gemini 3 models refuse a replayed
// function call without any signature.
const skipSignature = "skip_thought_signature_validator"

// chatBody translates req into the generateContent body for model.
func (c *Client) chatBody(ctx context.Context, req *llm.ChatRequest, model string) ([]byte, error) {
	if err := req.Decode(); err != nil { // the translation reads the typed request
		return nil, err
	}
	t := requestTranslator{req: req, model: model, media: c.media, budget: maxInlineBytes}
	if len(req.Raw) > 0 && gjson.ValidBytes(req.Raw) {
		t.raw = gjson.ParseBytes(req.Raw)
	}
	g, err := t.translate(ctx)
	if err != nil {
		return nil, err
	}
	return llm.Encode(g)
}

// requestTranslator translates one request; it is built per request and keeps no state that
// a retry could observe.
type requestTranslator struct {
	req    *llm.ChatRequest
	model  string
	raw    gjson.Result // the client's body, for fields the typed request does not carry
	media  *mediaLoader
	budget int64 // bytes image fetches may still use
}

func (t *requestTranslator) translate(ctx context.Context) (*genRequest, error) {
	if err := t.checkParams(); err != nil {
		return nil, err
	}
	g := &genRequest{Contents: []content{}}
	if err := t.messages(ctx, g); err != nil {
		return nil, err
	}
	if err := t.tools(g); err != nil {
		return nil, err
	}
	cfg, err := t.generationConfig()
	if err != nil {
		return nil, err
	}
	if !reflect.ValueOf(*cfg).IsZero() {
		g.GenerationConfig = cfg
	}
	return g, nil
}

// checkParams refuses the parameters Gemini cannot honour instead of dropping them.
func (t *requestTranslator) checkParams() error {
	if err := providers.CheckParams(Type, t.raw, "reasoning_effort"); err != nil {
		return err
	}
	if p := t.req.ParallelToolCalls; p != nil && !*p && len(t.req.Tools) > 0 {
		return llm.InvalidRequest("parallel_tool_calls", "parallel_tool_calls=false is not supported by gemini")
	}
	return nil
}

func (t *requestTranslator) messages(ctx context.Context, g *genRequest) error {
	var sys []part
	for i := range t.req.Messages {
		m := &t.req.Messages[i]
		switch m.Role {
		case llm.RoleSystem, llm.RoleDeveloper:
			text, err := providers.PlainText(m.Content, i)
			if err != nil {
				return err
			}
			if text != "" {
				sys = append(sys, textPart(text))
			}
		case llm.RoleUser:
			parts, err := t.userParts(ctx, m, i)
			if err != nil {
				return err
			}
			g.Contents = append(g.Contents, content{Role: "user", Parts: parts})
		case llm.RoleAssistant:
			parts, err := t.assistantParts(m, i)
			if err != nil {
				return err
			}
			if len(parts) > 0 {
				g.Contents = append(g.Contents, content{Role: "model", Parts: parts})
			}
		case llm.RoleTool, "function":
			p, err := t.toolResult(i)
			if err != nil {
				return err
			}
			// The results of parallel calls go back together, in one turn.
			if n := len(g.Contents); n > 0 && isToolTurn(g.Contents[n-1]) {
				g.Contents[n-1].Parts = append(g.Contents[n-1].Parts, p)
			} else {
				g.Contents = append(g.Contents, content{Role: "user", Parts: []part{p}})
			}
		default:
			return llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: role %q is not supported by gemini", i, m.Role))
		}
	}
	if len(sys) > 0 {
		g.SystemInstruction = &content{Parts: sys}
	}
	return nil
}

func textPart(s string) part { return part{Text: &s} }

func isToolTurn(c content) bool {
	return c.Role == "user" && len(c.Parts) > 0 && c.Parts[0].FunctionResponse != nil
}

func (t *requestTranslator) userParts(ctx context.Context, m *llm.Message, i int) ([]part, error) {
	if !m.Content.IsParts {
		return []part{textPart(m.Content.Text)}, nil
	}
	parts := make([]part, 0, len(m.Content.Parts))
	for _, p := range m.Content.Parts {
		switch p.Type {
		case llm.PartText:
			parts = append(parts, textPart(p.Text))
		case llm.PartImageURL:
			gp, used, err := t.media.load(ctx, p.ImageURL.URL, t.budget)
			if err != nil {
				return nil, err
			}
			t.budget -= used
			parts = append(parts, gp)
		case llm.PartInputAudio:
			data := gjson.GetBytes(p.Extra, "input_audio.data").Str
			format := gjson.GetBytes(p.Extra, "input_audio.format").Str
			if data == "" || format == "" {
				return nil, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: input_audio needs data and format", i))
			}
			parts = append(parts, part{InlineData: &blob{MimeType: "audio/" + format, Data: data}})
		case llm.PartFile:
			fp, err := filePart(p, i)
			if err != nil {
				return nil, err
			}
			parts = append(parts, fp)
		default:
			return nil, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: content part type %q is not supported by gemini", i, p.Type))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, textPart(""))
	}
	return parts, nil
}

// filePart inlines an OpenAI file part sent as file_data (a data: URL); file ids name files
// stored at OpenAI, which Gemini cannot read.
func filePart(p llm.ContentPart, i int) (part, error) {
	f := gjson.GetBytes(p.Extra, "file")
	data := f.Get("file_data").Str
	if data == "" {
		return part{}, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: file parts need file_data (file_id is not supported by gemini)", i))
	}
	if !strings.HasPrefix(data, "data:") {
		return part{}, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: file_data must be a data: URL", i))
	}
	b, err := dataURLBlob(data)
	if err != nil {
		return part{}, err
	}
	return part{InlineData: b}, nil
}

func (t *requestTranslator) assistantParts(m *llm.Message, i int) ([]part, error) {
	text, err := providers.PlainText(m.Content, i)
	if err != nil {
		return nil, err
	}
	var parts []part
	if text != "" {
		parts = append(parts, textPart(text))
	}
	for j, tc := range m.ToolCalls {
		args, err := callArgs(tc.Function.Arguments)
		if err != nil {
			return nil, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments is not a JSON object", i, j))
		}
		p := part{FunctionCall: &functionCall{Name: tc.Function.Name, Args: args}}
		p.ThoughtSignature = t.raw.Get(fmt.Sprintf("messages.%d.tool_calls.%d.extra_content.google.thought_signature", i, j)).Str
		if p.ThoughtSignature == "" && j == 0 && needsSignature(t.model) {
			p.ThoughtSignature = skipSignature
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// needsSignature reports whether the model may refuse a function call replayed without a
// thought signature: Gemini 3 and later (and aliases that may point there).
func needsSignature(model string) bool {
	m := strings.TrimPrefix(model, "models/")
	return !strings.HasPrefix(m, "gemini-1") && !strings.HasPrefix(m, "gemini-2")
}

// callArgs turns OpenAI's arguments string into Gemini's args object.
func callArgs(s string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid([]byte(s)) || s[0] != '{' {
		return nil, fmt.Errorf("arguments are not a JSON object")
	}
	return json.RawMessage(s), nil
}

// toolResult translates a tool (or legacy function) message into a functionResponse part.
// Gemini names the function answered; OpenAI names the call, so the name comes from the
// assistant message that made the call.
func (t *requestTranslator) toolResult(i int) (part, error) {
	m := &t.req.Messages[i]
	name := ""
	if m.Role == llm.RoleTool {
		name = t.callName(i, m.ToolCallID)
	}
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return part{}, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: tool_call_id %q matches no earlier assistant tool call", i, m.ToolCallID))
	}
	text, err := providers.PlainText(m.Content, i)
	if err != nil {
		return part{}, err
	}
	return part{FunctionResponse: &functionResponse{Name: name, Response: responseObject(text)}}, nil
}

// callName finds the function name of the nearest earlier tool call with that id.
func (t *requestTranslator) callName(i int, id string) string {
	if id == "" {
		return ""
	}
	for k := i - 1; k >= 0; k-- {
		m := &t.req.Messages[k]
		if m.Role != llm.RoleAssistant {
			continue
		}
		for _, tc := range m.ToolCalls {
			if tc.ID == id {
				return tc.Function.Name
			}
		}
	}
	return ""
}

// responseObject is the functionResponse.response object: a JSON object result as it is,
// anything else as {"content": text}.
func responseObject(text string) json.RawMessage {
	if s := strings.TrimSpace(text); strings.HasPrefix(s, "{") && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(map[string]string{"content": text})
	return b
}

func (t *requestTranslator) tools(g *genRequest) error {
	choice, name, err := providers.ParseToolChoice(Type, t.req.ToolChoice)
	if err != nil {
		return err
	}
	if len(t.req.Tools) == 0 {
		if choice == "required" || choice == "function" {
			return llm.InvalidRequest("tool_choice", "tool_choice requires tools")
		}
		return nil
	}
	decls := make([]functionDeclaration, 0, len(t.req.Tools))
	known := false
	for _, tl := range t.req.Tools {
		d := functionDeclaration{Name: tl.Function.Name, Description: tl.Function.Description,
			ParametersJSONSchema: providers.ToolParameters(tl)}
		decls = append(decls, d)
		known = known || tl.Function.Name == name
	}
	g.Tools = []tool{{FunctionDeclarations: decls}}
	switch choice {
	case "":
	case "auto":
		g.ToolConfig = &toolConfig{functionCallingConfig{Mode: "AUTO"}}
	case "none":
		g.ToolConfig = &toolConfig{functionCallingConfig{Mode: "NONE"}}
	case "required":
		g.ToolConfig = &toolConfig{functionCallingConfig{Mode: "ANY"}}
	case "function":
		if !known {
			return llm.InvalidRequest("tool_choice", fmt.Sprintf("tool_choice names %q, which is not among the tools", name))
		}
		g.ToolConfig = &toolConfig{functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{name}}}
	}
	return nil
}

func (t *requestTranslator) generationConfig() (*generationConfig, error) {
	r := t.req
	cfg := &generationConfig{
		Temperature:      r.Temperature,
		TopP:             r.TopP,
		Seed:             r.Seed,
		PresencePenalty:  r.PresencePenalty,
		FrequencyPenalty: r.FrequencyPenalty,
		StopSequences:    r.Stop,
		MaxOutputTokens:  r.MaxTokens,
	}
	if r.MaxCompletionTokens != nil {
		cfg.MaxOutputTokens = r.MaxCompletionTokens
	}
	if r.N != nil && *r.N > 1 {
		cfg.CandidateCount = r.N
	}
	if k := t.raw.Get("top_k"); k.Exists() && k.Type != gjson.Null {
		if k.Type != gjson.Number || k.Num != float64(k.Int()) || k.Int() < 1 {
			return nil, llm.InvalidRequest("top_k", "top_k must be a positive integer")
		}
		v := k.Int()
		cfg.TopK = &v
	}
	if err := t.responseFormat(cfg); err != nil {
		return nil, err
	}
	if err := t.reasoning(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// responseFormat maps JSON mode to responseMimeType and a json_schema to responseJsonSchema.
func (t *requestTranslator) responseFormat(cfg *generationConfig) error {
	format, js, err := providers.ResponseFormat(Type, t.req.ResponseFormat)
	if format == "" {
		return err
	}
	cfg.ResponseMimeType = "application/json"
	if s := js.Get("schema"); s.IsObject() {
		cfg.ResponseJSONSchema = json.RawMessage(s.Raw)
	}
	return nil
}

// reasoning maps reasoning_effort to a thinking budget (Gemini 2.x, with the budgets Google's
// own OpenAI compatibility layer uses) or a thinking level (Gemini 3 and later, whose lowest
// level is "minimal": they cannot stop thinking altogether).
func (t *requestTranslator) reasoning(cfg *generationConfig) error {
	v := t.raw.Get("reasoning_effort")
	if !v.Exists() || v.Type == gjson.Null {
		return nil
	}
	budgets := map[string]int{"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
	b, ok := budgets[v.Str]
	if v.Type != gjson.String || !ok {
		return llm.InvalidRequest("reasoning_effort", `reasoning_effort must be "none", "minimal", "low", "medium" or "high"`)
	}
	if m := strings.TrimPrefix(t.model, "models/"); strings.HasPrefix(m, "gemini-2") {
		cfg.ThinkingConfig = &thinkingConfig{ThinkingBudget: &b}
		return nil
	}
	level := v.Str
	if level == "none" {
		level = "minimal"
	}
	cfg.ThinkingConfig = &thinkingConfig{ThinkingLevel: level}
	return nil
}
