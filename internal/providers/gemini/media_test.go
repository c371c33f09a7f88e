package gemini

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"
)

func TestPublicAddr(t *testing.T) {
	for s, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.5.4": false,
		"169.254.169.254": false, "100.100.1.1": false, "0.0.0.0": false, "0.1.2.3": false,
		"::1": false, "fd00::1": false, "fe80::1": false, "224.0.0.1": false,
	} {
		if got := publicAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("publicAddr(%s) = %v", s, got)
		}
	}
}

// TestImageFetch: http(s) image URLs are fetched and inlined, within limits.
func TestImageFetch(t *testing.T) {
	img := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pixel.gif":
			w.Header().Set("Content-Type", "image/gif")
			_, _ = w.Write(gifPixel)
		case "/untyped":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(gifPixel)
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>secret</html>"))
		case "/big":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(make([]byte, 3000))
		case "/redirect":
			http.Redirect(w, r, "/pixel.gif", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	up := providertest.NewUpstream(t, answer)
	send := func(t *testing.T, c *Client, u string) error {
		req := providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"`+u+`"}}]}]}`))
		_, err := c.Chat(context.Background(), req, "gemini-2.5-flash")
		return err
	}
	c := newClient(t, up.URL)
	for _, tt := range []struct{ path, mime, err string }{
		{"/pixel.gif", "image/gif", ""},
		{"/untyped", "image/gif", ""},
		{"/redirect", "image/gif", ""},
		{"/page", "", "is not an image (text/html)"},
		{"/missing", "", "returned 404"},
	} {
		err := send(t, c, img.URL+tt.path)
		if tt.err != "" {
			if e := providertest.AsLLMError(t, err); e.Status != 400 || e.Param != "messages" || !strings.Contains(e.Message, tt.err) {
				t.Errorf("%s: got %s", tt.path, providertest.Describe(err))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if got := gjson.GetBytes(up.Last(t).Body, "contents.0.parts.0.inlineData.mimeType").Str; got != tt.mime {
			t.Errorf("%s: mime %q", tt.path, got)
		}
	}

	t.Run("too large", func(t *testing.T) {
		small := newClient(t, up.URL)
		err := send(t, small, img.URL+"/big")
		if err != nil {
			t.Fatal(err)
		}
		req := providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"`+img.URL+`/big"}}]}]}`))
		tr := requestTranslator{req: req, model: "m", media: small.media, budget: 2000}
		if _, err := tr.translate(context.Background()); err == nil || !strings.Contains(err.Error(), "exceed 20 MB") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("private address refused", func(t *testing.T) {
		guarded, err := New(c.cfgForTest())
		if err != nil {
			t.Fatal(err)
		}
		guarded.base = up.URL
		err = send(t, guarded, img.URL+"/pixel.gif")
		if e := providertest.AsLLMError(t, err); e.Status != 400 || !strings.Contains(e.Message, "not a public address") {
			t.Errorf("got %s", providertest.Describe(err))
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"`+img.URL+`/pixel.gif"}}]}]}`))
		_, err := c.Chat(ctx, req, "m")
		if e := providertest.AsLLMError(t, err); e.Status != 499 {
			t.Errorf("got %s", providertest.Describe(err))
		}
	})
}

func TestDataURL(t *testing.T) {
	for in, want := range map[string]string{
		"data:image/png;base64,AAAA":             "image/png AAAA",
		"data:IMAGE/JPEG;name=x.jpg;base64,/9j/": "image/jpeg /9j/",
		"data:image/svg+xml,%3Csvg%3E":           "image/svg+xml PHN2Zz4=",
		"data:image/png;base64,":                 "error",
		"data:image/png;base64":                  "error",
		"data:;base64,AAAA":                      "error",
	} {
		b, err := dataURLBlob(in)
		got := "error"
		if err == nil {
			got = b.MimeType + " " + b.Data
		}
		if got != want {
			t.Errorf("dataURLBlob(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsReference(t *testing.T) {
	for in, want := range map[string]bool{
		"https://generativelanguage.googleapis.com/v1beta/files/abc": true,
		"https://generativelanguage.googleapis.com/v1beta/models":    false,
		"gs://bucket/a.png":                true,
		"https://youtu.be/9hE5-98ZeCg":     true,
		"http://www.youtube.com/watch?v=1": false,
		"https://example.com/files/a.png":  false,
	} {
		if got := isReference(in); got != want {
			t.Errorf("isReference(%q) = %v", in, got)
		}
	}
}
