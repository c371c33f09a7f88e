package backend

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// TestResponsesContinueAcrossDeployments: a conversation moves between a deployment that
// speaks the Responses API natively ("gpt", on e.fake) and one that only speaks chat
// ("chat2", on a second fake upstream), both ways, stream and not. An id Conduit minted never
// reaches the native upstream (which answers 404 for ids it did not make): the stored
// conversation goes in its place. An id the upstream minted is passed on to it.
func TestResponsesContinueAcrossDeployments(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	chatFake := fakeopenai.New(testProviderKey)
	chatFake.Reply = "Blue, as you said."
	up := httptest.NewServer(chatFake)
	t.Cleanup(up.Close)
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{
		"name": "chat-upstream", "type": "openai_compatible", "base_url": up.URL + "/v1", "api_key": testProviderKey})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "chat2", "provider_id": p["id"], "provider_model": "local"})
	client := sdk(e.url, key)
	ctx := context.Background()

	send := func(t *testing.T, model, prev, text string, stream bool) responses.Response {
		t.Helper()
		params := responses.ResponseNewParams{Model: model, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(text)}}
		if prev != "" {
			params.PreviousResponseID = openai.String(prev)
		}
		if !stream {
			r, err := client.Responses.New(ctx, params)
			if err != nil {
				t.Fatalf("%s after %q: %v", model, prev, err)
			}
			return *r
		}
		s := client.Responses.NewStreaming(ctx, params)
		var final responses.Response
		for s.Next() {
			if ev := s.Current(); ev.Type == "response.completed" {
				final = ev.AsResponseCompleted().Response
			}
		}
		if err := s.Err(); err != nil || final.ID == "" {
			t.Fatalf("%s after %q: %v %s", model, prev, err, final.RawJSON())
		}
		return final
	}
	last := func(f *fakeopenai.Server) []byte {
		reqs := f.Requests()
		return reqs[len(reqs)-1].Raw
	}

	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "whole", true: "stream"}[stream]
		t.Run(name+"/translated then native", func(t *testing.T) {
			first := send(t, "chat2", "", "Remember: blue", stream)
			second := send(t, "gpt", first.ID, "Which colour?", stream)
			if second.OutputText() != e.fake.Reply {
				t.Fatalf("%s", second.RawJSON())
			}
			body := last(e.fake)
			if gjson.GetBytes(body, "previous_response_id").Exists() {
				t.Fatalf("Conduit's id reached the upstream: %s", body)
			}
			// The answer still names the response it continues, as kept for later too.
			if second.PreviousResponseID != first.ID {
				t.Fatalf("the answer continues %q, want %q: %s", second.PreviousResponseID, first.ID, second.RawJSON())
			}
			if kept, err := client.Responses.Get(ctx, second.ID, responses.ResponseGetParams{}); err != nil || kept.PreviousResponseID != first.ID {
				t.Fatalf("kept response: %v, continues %q", err, kept.PreviousResponseID)
			}
			in := gjson.GetBytes(body, "input")
			if in.Get("#.role").Raw != `["user","assistant","user"]` || in.Get("1.content.0.text").Str != chatFake.Reply ||
				in.Get("2.content.0.text").Str != "Which colour?" || in.Get("#.id").Raw != `[]` {
				t.Fatalf("upstream input %s", in.Raw)
			}

			// The upstream's own id goes on to it as it is, and the chat deployment
			// continues from the whole stored conversation.
			third := send(t, "gpt", second.ID, "Sure?", stream)
			if body := last(e.fake); gjson.GetBytes(body, "previous_response_id").Str != second.ID ||
				gjson.GetBytes(body, "input").Str != "Sure?" {
				t.Fatalf("upstream got %s", body)
			}
			if third.PreviousResponseID != second.ID {
				t.Fatalf("the answer continues %q, want the upstream's %q: %s", third.PreviousResponseID, second.ID, third.RawJSON())
			}
			send(t, "chat2", third.ID, "And now?", stream)
			msgs := gjson.GetBytes(last(chatFake), "messages")
			want := `["Remember: blue","` + chatFake.Reply + `","Which colour?","` + e.fake.Reply + `","Sure?","` + e.fake.Reply + `","And now?"]`
			if got := msgs.Get("#.content").Raw; got != want {
				t.Fatalf("chat upstream saw %s", msgs.Raw)
			}
		})

		t.Run(name+"/native then translated", func(t *testing.T) {
			first := send(t, "gpt", "", "Remember: blue", stream)
			send(t, "chat2", first.ID, "Which colour?", stream)
			msgs := gjson.GetBytes(last(chatFake), "messages")
			if got := msgs.Get("#.content").Raw; got != `["Remember: blue","`+e.fake.Reply+`","Which colour?"]` {
				t.Fatalf("chat upstream saw %s", msgs.Raw)
			}
		})
	}
}
