package cohere

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"
)

func TestEmbeddings(t *testing.T) {
	up := providertest.NewUpstream(t, answer)
	c := newClient(t, up.URL)
	ctx := context.Background()

	t.Run("float", func(t *testing.T) {
		resp, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":["a","b"]}`), "embed-v4.0")
		if err != nil {
			t.Fatal(err)
		}
		want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25,1e-3]},{"object":"embedding","index":1,"embedding":[0.5,-0.25,1e-3]}],"model":"embed-v4.0","usage":{"prompt_tokens":1,"total_tokens":1}}`
		if string(resp.Body) != want {
			t.Errorf("body\n%s\nwant\n%s", resp.Body, want)
		}
		if resp.Usage.PromptTokens != 1 || resp.Usage.TotalTokens != 1 {
			t.Errorf("usage %+v", resp.Usage)
		}
	})
	t.Run("base64", func(t *testing.T) {
		resp, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":"a","encoding_format":"base64"}`), "embed-v4.0")
		if err != nil {
			t.Fatal(err)
		}
		s := gjson.GetBytes(resp.Body, "data.0.embedding").Str
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != 12 {
			t.Fatalf("embedding %q: %v", s, err)
		}
		for i, want := range []float32{0.5, -0.25, 1e-3} {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != want {
				t.Errorf("value %d = %v, want %v", i, got, want)
			}
		}
	})
	t.Run("batches", func(t *testing.T) {
		inputs := make([]string, 200)
		for i := range inputs {
			inputs[i] = fmt.Sprint(i)
		}
		in, _ := json.Marshal(inputs)
		before := len(up.Requests())
		resp, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":`+string(in)+`}`), "embed-v4.0")
		if err != nil {
			t.Fatal(err)
		}
		reqs := up.Requests()[before:]
		if len(reqs) != 3 || len(gjson.GetBytes(reqs[2].Body, "texts").Array()) != 8 {
			t.Errorf("%d upstream calls", len(reqs))
		}
		if data := gjson.GetBytes(resp.Body, "data").Array(); len(data) != 200 || data[199].Get("index").Int() != 199 {
			t.Errorf("%d embeddings", len(data))
		}
		if resp.Usage.PromptTokens != 3 {
			t.Errorf("usage summed over batches: %+v", resp.Usage)
		}
	})
	t.Run("refused", func(t *testing.T) {
		for body, param := range map[string]string{
			`{"model":"e","input":[1,2,3]}`:              "input",
			`{"model":"e","input":[[1,2]]}`:              "input",
			`{"model":"e","input":[]}`:                   "input",
			`{"model":"e","input":"a","input_type":"x"}`: "input_type",
		} {
			_, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, body), "m")
			if e := providertest.AsLLMError(t, err); e.Status != 400 || e.Param != param {
				t.Errorf("%s: got %s", body, providertest.Describe(err))
			}
		}
	})
	t.Run("malformed", func(t *testing.T) {
		for _, body := range []string{`{"embeddings":{"float":[]}}`, `{"embeddings":{"float":[["x"]]}}`, `{"embeddings":{"int8":[[1]]}}`} {
			bad := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
			_, err := newClient(t, bad.URL).Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":"a"}`), "m")
			if e := providertest.AsLLMError(t, err); e.Status != 502 || !strings.Contains(e.Message, "malformed") {
				t.Errorf("%s: got %s", body, providertest.Describe(err))
			}
		}
	})
}
