package gemini

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
		resp, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":["a","b"]}`), "gemini-embedding-001")
		if err != nil {
			t.Fatal(err)
		}
		want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25,1e-3]},{"object":"embedding","index":1,"embedding":[0.5,-0.25,1e-3]}],"model":"gemini-embedding-001","usage":{"prompt_tokens":0,"total_tokens":0}}`
		if string(resp.Body) != want {
			t.Errorf("body\n%s\nwant\n%s", resp.Body, want)
		}
	})
	t.Run("base64", func(t *testing.T) {
		resp, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":"a","encoding_format":"base64"}`), "gemini-embedding-001")
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
		inputs := make([]string, 250)
		for i := range inputs {
			inputs[i] = fmt.Sprint(i)
		}
		in, _ := json.Marshal(inputs)
		before := len(up.Requests())
		resp, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":`+string(in)+`}`), "gemini-embedding-001")
		if err != nil {
			t.Fatal(err)
		}
		reqs := up.Requests()[before:]
		if len(reqs) != 3 || len(gjson.GetBytes(reqs[2].Body, "requests").Array()) != 50 {
			t.Errorf("%d upstream calls", len(reqs))
		}
		data := gjson.GetBytes(resp.Body, "data").Array()
		if len(data) != 250 || data[249].Get("index").Int() != 249 {
			t.Errorf("%d embeddings", len(data))
		}
	})
	t.Run("refused", func(t *testing.T) {
		for body, param := range map[string]string{
			`{"model":"e","input":[1,2,3]}`:             "input",
			`{"model":"e","input":[[1,2]]}`:             "input",
			`{"model":"e","input":[]}`:                  "input",
			`{"model":"e","input":"a","task_type":"x"}`: "task_type",
		} {
			_, err := c.Embeddings(ctx, providertest.EmbeddingsRequest(t, body), "m")
			if e := providertest.AsLLMError(t, err); e.Status != 400 || e.Param != param {
				t.Errorf("%s: got %s", body, providertest.Describe(err))
			}
		}
	})
	t.Run("count mismatch", func(t *testing.T) {
		bad := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"embeddings":[]}`))
		})
		_, err := newClient(t, bad.URL).Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":"a"}`), "m")
		if e := providertest.AsLLMError(t, err); e.Status != 502 || !strings.Contains(e.Message, "malformed") {
			t.Errorf("got %s", providertest.Describe(err))
		}
	})
	t.Run("usage", func(t *testing.T) {
		withUsage := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"embeddings":[{"values":[1]}],"usageMetadata":{"promptTokenCount":3}}`))
		})
		resp, err := newClient(t, withUsage.URL).Embeddings(ctx, providertest.EmbeddingsRequest(t, `{"model":"e","input":"abc"}`), "m")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Usage.PromptTokens != 3 || gjson.GetBytes(resp.Body, "usage.total_tokens").Int() != 3 {
			t.Errorf("usage %+v %s", resp.Usage, resp.Body)
		}
	})
}
