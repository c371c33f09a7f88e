package cohere

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// TestRerank: the request reaches /v2/rerank in Cohere's shape (documents as strings, no
// return_documents) and the documents are put back into the answer when asked for; an answer
// that is not a ranking of the documents sent is a malformed upstream answer.
func TestRerank(t *testing.T) {
	const ok = `{"id":"r1","results":[{"index":1,"relevance_score":0.9},{"index":0,"relevance_score":0.1}],"meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1}}}`
	for _, tt := range []struct {
		name, answer string
		docs         bool
		wantErr      bool
		want         map[string]string // gjson path → value in the answer
	}{
		{name: "scores only", answer: ok, want: map[string]string{"results.0.index": "1", "results.0.document": "", "meta.billed_units.search_units": "1"}},
		{name: "with documents", answer: ok, docs: true, want: map[string]string{"results.0.document.text": "b doc", "results.1.document.text": "a doc"}},
		{name: "index out of range", answer: `{"results":[{"index":5,"relevance_score":0.9}]}`, docs: true, wantErr: true},
		{name: "no results", answer: `{"id":"r1"}`, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var sent []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sent, _ = io.ReadAll(r.Body)
				if r.URL.Path != "/v2/rerank" || r.Header.Get("Authorization") != "Bearer "+testKey {
					http.Error(w, `{"message":"wrong request"}`, 400)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			req, err := llm.ParseRerankRequest([]byte(`{"model":"alias","query":"b?","documents":["a doc",{"text":"b doc"}],"top_n":2,"return_documents":` +
				strconv.FormatBool(tt.docs) + `}`))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := newClient(t, srv.URL+"/v2").Rerank(t.Context(), req, "rerank-v3.5")
			if got := gjson.ParseBytes(sent); got.Get("model").Str != "rerank-v3.5" || got.Get("documents.1").Str != "b doc" ||
				got.Get("top_n").Int() != 2 || got.Get("return_documents").Exists() {
				t.Fatalf("sent %s", sent)
			}
			if tt.wantErr {
				if err == nil || llm.AsError(err).Status != http.StatusBadGateway {
					t.Fatalf("err = %v, want a malformed-answer error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for path, v := range tt.want {
				if got := gjson.GetBytes(resp.Body, path).String(); got != v {
					t.Errorf("%s = %q, want %q in %s", path, got, v, resp.Body)
				}
			}
		})
	}
}
