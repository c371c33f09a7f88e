package backend

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/runtime"
)

// setupResponses adds, next to setup's "gpt" (an openai provider: Responses go to it
// natively), the alias "chatonly" on an openai_compatible provider that only speaks chat
// (Responses are translated), and returns two keys.
func (e *env) setupResponses() (key, other string) {
	e.t.Helper()
	_, key = e.setup()
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{
		"name": "chat-only", "type": "openai_compatible", "base_url": e.fakeURL, "api_key": testProviderKey,
	})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{
		"alias": "chatonly", "provider_id": p["id"], "provider_model": "local-model",
		"supports_tools": true, "supports_vision": true,
	})
	other = e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "other"})["key"].(string)
	return key, other
}

func sdk(url, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(url+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

var weatherTool = responses.ToolParamOfFunction("get_weather",
	map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}, false)

// TestResponsesThroughOfficialSDK drives /v1/responses with the official Go SDK, natively
// (an OpenAI deployment) and translated (a chat-only deployment).
func TestResponsesThroughOfficialSDK(t *testing.T) {
	e := newEnv(t)
	key, other := e.setupResponses()
	ctx := context.Background()
	client := sdk(e.url, key)

	for _, alias := range []string{"gpt", "chatonly"} {
		t.Run(alias+"/new", func(t *testing.T) {
			resp, err := client.Responses.New(ctx, responses.ResponseNewParams{
				Model: alias, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello")},
				Instructions: openai.String("Be brief."),
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != alias || resp.OutputText() != e.fake.Reply || resp.Status != "completed" ||
				resp.Usage.InputTokens == 0 || resp.Usage.OutputTokens != 5 || !strings.HasPrefix(resp.ID, "resp_") {
				t.Fatalf("%s", resp.RawJSON())
			}
			reqs := e.fake.Requests()
			last := reqs[len(reqs)-1]
			wantPath, wantModel := "/v1/chat/completions", "local-model"
			if alias == "gpt" { // natively: the client's bytes with only the model rewritten
				wantPath, wantModel = "/v1/responses", "gpt-4o-mini"
				if gjson.GetBytes(last.Raw, "instructions").Str != "Be brief." || gjson.GetBytes(last.Raw, "input").Str != "Say hello" {
					t.Errorf("upstream got %s", last.Raw)
				}
			}
			if last.Path != wantPath || gjson.GetBytes(last.Raw, "model").Str != wantModel {
				t.Errorf("upstream got %s %s", last.Path, last.Raw)
			}
		})

		t.Run(alias+"/stream", func(t *testing.T) {
			stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
				Model: alias, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello")},
			})
			var text strings.Builder
			var final responses.Response
			var seq []int64
			for stream.Next() {
				ev := stream.Current()
				seq = append(seq, ev.SequenceNumber)
				switch ev.Type {
				case "response.output_text.delta":
					text.WriteString(ev.AsResponseOutputTextDelta().Delta)
				case "response.completed":
					final = ev.AsResponseCompleted().Response
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if text.String() != e.fake.Reply || final.OutputText() != e.fake.Reply || final.Model != alias || final.Usage.OutputTokens != 5 {
				t.Fatalf("text %q final %s", text.String(), final.RawJSON())
			}
			for i, n := range seq {
				if n != int64(i) {
					t.Fatalf("sequence numbers %v", seq)
				}
			}
		})

		t.Run(alias+"/function call round trip", func(t *testing.T) {
			first, err := client.Responses.New(ctx, responses.ResponseNewParams{
				Model: alias, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
				Tools: []responses.ToolUnionParam{weatherTool},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Output) != 1 || first.Output[0].Type != "function_call" {
				t.Fatalf("%s", first.RawJSON())
			}
			call := first.Output[0].AsFunctionCall()
			if call.Name != "get_weather" || call.Arguments != `{"city":"Paris"}` || call.CallID == "" {
				t.Fatalf("%+v", call)
			}
			out := responses.ResponseInputItemParamOfFunctionCallOutput("18C and sunny")
			out.OfFunctionCallOutput.CallID = openai.String(call.CallID)
			second, err := client.Responses.New(ctx, responses.ResponseNewParams{
				Model: alias, PreviousResponseID: openai.String(first.ID),
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{out}},
				Tools: []responses.ToolUnionParam{weatherTool},
			})
			if err != nil {
				t.Fatal(err)
			}
			if second.OutputText() != e.fake.Reply || second.PreviousResponseID != first.ID && alias == "chatonly" {
				t.Fatalf("%s", second.RawJSON())
			}
			if alias == "chatonly" {
				// The chat upstream saw the whole conversation: question, call, result.
				reqs := e.fake.Requests()
				msgs := gjson.GetBytes(reqs[len(reqs)-1].Raw, "messages")
				if got := msgs.Get("#.role").Raw; got != `["user","assistant","tool"]` ||
					msgs.Get("1.tool_calls.0.id").Str != call.CallID || msgs.Get("2.content").Str != "18C and sunny" {
					t.Fatalf("upstream saw %s", msgs.Raw)
				}
			}

			// Stored, readable by its key only.
			got, err := client.Responses.Get(ctx, second.ID, responses.ResponseGetParams{})
			if err != nil || got.ID != second.ID || got.OutputText() != e.fake.Reply {
				t.Fatalf("%v %+v", err, got)
			}
			items, err := client.Responses.InputItems.List(ctx, second.ID, responses.InputItemListParams{})
			if err != nil || len(items.Data) != 1 || items.Data[0].Type != "function_call_output" {
				t.Fatalf("%v %+v", err, items)
			}
			thief := sdk(e.url, other)
			_, err = thief.Responses.Get(ctx, second.ID, responses.ResponseGetParams{})
			checkStatus(t, err, http.StatusNotFound)
			_, err = thief.Responses.New(ctx, responses.ResponseNewParams{
				Model: alias, PreviousResponseID: openai.String(first.ID),
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("and?")},
			})
			checkStatus(t, err, http.StatusNotFound)
			checkStatus(t, thief.Responses.Delete(ctx, second.ID), http.StatusNotFound)
			if err := client.Responses.Delete(ctx, second.ID); err != nil {
				t.Fatal(err)
			}
			_, err = client.Responses.Get(ctx, second.ID, responses.ResponseGetParams{})
			checkStatus(t, err, http.StatusNotFound)
		})
	}

	t.Run("built-in tools on a translated deployment", func(t *testing.T) {
		_, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "chatonly", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("news?")},
			Tools: []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: "web_search"}}},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, `"web_search"`) || apiErr.Param != "tools" {
			t.Fatalf("%v", err)
		}
	})
}

func checkStatus(t *testing.T, err error, want int) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != want {
		t.Fatalf("err = %v, want status %d", err, want)
	}
}

// TestResponsesContinueAfterRestart: a stored response continues a conversation after
// Conduit restarts on the same data directory.
func TestResponsesContinueAfterRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnvWith(t, func(o *runtime.Options) { o.DataDir = dir })
	key, _ := e.setupResponses()
	ctx := context.Background()
	c1 := sdk(e.url, key)
	first, err := c1.Responses.New(ctx, responses.ResponseNewParams{
		Model: "chatonly", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Remember: blue")},
	})
	if err != nil {
		t.Fatal(err)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.rt.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	e2 := newEnvWith(t, func(o *runtime.Options) { o.DataDir = dir })
	// The new instance's fake upstream has another address: point the provider at it.
	_, provs := e2.admin("GET", "/admin/providers", nil)
	for _, p := range provs["data"].([]any) {
		id := p.(map[string]any)["id"].(string)
		e2.mustAdmin(200, "PATCH", "/admin/providers/"+id, map[string]any{"base_url": e2.fakeURL})
	}
	c2 := sdk(e2.url, key)
	second, err := c2.Responses.New(ctx, responses.ResponseNewParams{
		Model: "chatonly", PreviousResponseID: openai.String(first.ID),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Which colour?")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if second.OutputText() != e2.fake.Reply {
		t.Fatalf("%s", second.RawJSON())
	}
	reqs := e2.fake.Requests()
	msgs := gjson.GetBytes(reqs[len(reqs)-1].Raw, "messages")
	if msgs.Get("#.content").Raw != `["Remember: blue","`+e.fake.Reply+`","Which colour?"]` {
		t.Fatalf("upstream saw %s", msgs.Raw)
	}
}

// TestResponsesNativeCompatible: an openai_compatible provider marked responses_api gets
// Responses requests natively; unmarked, translated.
func TestResponsesNativeCompatible(t *testing.T) {
	e := newEnv(t)
	key, _ := e.setupResponses()
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{
		"name": "vllm", "type": "openai_compatible", "base_url": e.fakeURL, "api_key": testProviderKey, "responses_api": true,
	})
	if p["responses_api"] != true {
		t.Fatalf("%v", p)
	}
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "vllm", "provider_id": p["id"], "provider_model": "qwen"})
	client := sdk(e.url, key)
	for alias, path := range map[string]string{"vllm": "/v1/responses", "chatonly": "/v1/chat/completions"} {
		resp, err := client.Responses.New(context.Background(), responses.ResponseNewParams{
			Model: alias, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
		if err != nil || resp.OutputText() != e.fake.Reply || resp.Model != alias {
			t.Fatalf("%s: %v %+v", alias, err, resp)
		}
		reqs := e.fake.Requests()
		if got := reqs[len(reqs)-1].Path; got != path {
			t.Errorf("%s went to %s, want %s", alias, got, path)
		}
	}
	e.mustAdmin(200, "PATCH", "/admin/providers/"+p["id"].(string), map[string]any{"responses_api": false})
	if _, err := client.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "vllm", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}}); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if got := reqs[len(reqs)-1].Path; got != "/v1/chat/completions" {
		t.Errorf("after turning responses_api off: %s", got)
	}
}
