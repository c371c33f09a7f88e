package backend

import (
	"context"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
)

// completions serves OpenAI's legacy text completions (editor autocomplete) to deployments of
// the OpenAI wire family, stream and not, the client's bytes forwarded with only the model
// rewritten.
func (s *Server) completions(c echo.Context) error {
	return serveV1(s, c, "completions", parseCompletions,
		func(ctx context.Context, call *gateway.Call, req *gateway.NativeRequest) (*gateway.Result, error) {
			res, _, err := s.o.Gateway.Native(ctx, call, req, newChatWriter(c, call))
			return res, err
		})
}

// parseCompletions checks a legacy completions body: a model and a prompt.
func parseCompletions(body []byte) (*gateway.NativeRequest, error) {
	if !llm.ValidObject(body) {
		return nil, llm.InvalidRequest("", "We could not parse the JSON body of your request.")
	}
	model := gjson.GetBytes(body, "model")
	if model.Type != gjson.String || model.Str == "" {
		return nil, llm.InvalidRequest("model", "you must provide a model parameter")
	}
	if p := gjson.GetBytes(body, "prompt"); p.Type != gjson.String && !p.IsArray() {
		return nil, llm.InvalidRequest("prompt", "prompt must be a string or an array")
	}
	return &gateway.NativeRequest{API: gateway.APICompletions, Model: model.Str, Stream: gjson.GetBytes(body, "stream").Bool(),
		Raw: body, WantsUsage: gjson.GetBytes(body, "stream_options.include_usage").Bool(),
		MaxOutputTokens: int(gjson.GetBytes(body, "max_tokens").Int()),
		Translate: translated(nil, llm.InvalidRequest("model", "legacy completions are served by OpenAI-wire deployments only; "+
			"the deployments of "+model.Raw+" are not"))}, nil
}
