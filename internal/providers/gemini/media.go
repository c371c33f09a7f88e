package gemini

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

const (
	// maxInlineBytes bounds the bytes fetched for the image_url parts of one request; Gemini
	// refuses requests above 20 MB anyway.
	maxInlineBytes = 20 << 20
	// fetchTimeout bounds one image fetch.
	fetchTimeout = 30 * time.Second
)

// mediaLoader turns image URLs into Gemini parts: data: URLs are inlined as they are, Gemini
// file URIs, gs:// URIs and YouTube links are passed by reference, and any other http(s) URL is
// fetched and inlined, since Gemini cannot read arbitrary URLs itself.
//
// Fetches connect directly (no HTTP proxy) and only to public addresses, checked when each
// connection is dialled, so that a client cannot make the gateway read internal services.
type mediaLoader struct {
	base    *http.Client
	timeout time.Duration
	// allow decides which addresses fetches may connect to; tests widen it to loopback.
	allow func(netip.Addr) bool

	once   sync.Once
	client *http.Client // built on the first fetch
}

func newMediaLoader(base *http.Client) *mediaLoader {
	return &mediaLoader{base: base, timeout: fetchTimeout, allow: publicAddr}
}

// fetchClient returns the client for image fetches: the adapter's client settings on a
// transport of its own that dials only addresses allow accepts, and never through a proxy
// (through one, the guard would check the proxy's address instead of the image host's).
func (m *mediaLoader) fetchClient() *http.Client {
	m.once.Do(func() {
		var tr *http.Transport
		if t, ok := m.base.Transport.(*http.Transport); ok && t != nil {
			tr = t.Clone()
		} else if t, ok := http.DefaultTransport.(*http.Transport); ok {
			tr = t.Clone()
		} else {
			tr = &http.Transport{}
		}
		tr.Proxy = nil
		tr.DialTLSContext = nil
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: m.control}).DialContext
		tr.IdleConnTimeout = 30 * time.Second
		m.client = &http.Client{Transport: tr, CheckRedirect: m.base.CheckRedirect}
	})
	return m.client
}

// blockedAddrError is a fetch refused because the host resolved to a non-public address.
type blockedAddrError struct{ addr string }

func (e *blockedAddrError) Error() string { return "address " + e.addr + " is not public" }

func (m *mediaLoader) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &blockedAddrError{addr: address}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !m.allow(ip.Unmap()) {
		return &blockedAddrError{addr: host}
	}
	return nil
}

// publicAddr reports whether ip is a public unicast address.
func publicAddr(ip netip.Addr) bool {
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return false
	}
	if ip.Is4() {
		b := ip.As4()
		cgnat := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64, 0, 0}), 10)
		return b[0] != 0 && !cgnat.Contains(ip)
	}
	return true
}

// load returns the part for an image URL; budget is what may still be fetched, and used is
// what this fetch consumed of it.
func (m *mediaLoader) load(ctx context.Context, rawURL string, budget int64) (p part, used int64, err error) {
	switch {
	case strings.HasPrefix(rawURL, "data:"):
		b, err := dataURLBlob(rawURL)
		if err != nil {
			return part{}, 0, err
		}
		return part{InlineData: b}, 0, nil
	case isReference(rawURL):
		return part{FileData: &fileData{FileURI: rawURL}}, 0, nil
	}
	u, perr := url.Parse(rawURL)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return part{}, 0, llm.InvalidRequest("messages", "image_url.url must be an https or data: URL")
	}
	b, n, err := m.fetch(ctx, u.String(), budget)
	if err != nil {
		return part{}, 0, err
	}
	return part{InlineData: b}, n, nil
}

// isReference reports whether Gemini reads the URL itself: its own file URIs, Cloud Storage
// and YouTube videos.
func isReference(raw string) bool {
	if strings.HasPrefix(raw, "gs://") {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return false
	}
	switch strings.ToLower(u.Hostname()) {
	case "generativelanguage.googleapis.com":
		return strings.Contains(u.Path, "/files/")
	case "www.youtube.com", "youtube.com", "m.youtube.com", "youtu.be":
		return true
	}
	return false
}

// dataURLBlob decodes "data:[<mediatype>][;base64],<data>" into inline data.
func dataURLBlob(s string) (*blob, error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(s, "data:"), ",")
	if !ok {
		return nil, llm.InvalidRequest("messages", "malformed data: URL in image_url")
	}
	params := strings.Split(meta, ";")
	mt := strings.ToLower(strings.TrimSpace(params[0]))
	isB64 := false
	for _, p := range params[1:] {
		if strings.EqualFold(strings.TrimSpace(p), "base64") {
			isB64 = true
		}
	}
	if !isB64 {
		raw, err := url.PathUnescape(data)
		if err != nil {
			return nil, llm.InvalidRequest("messages", "malformed data: URL in image_url")
		}
		if mt == "" {
			mt = http.DetectContentType([]byte(raw))
		}
		data = base64.StdEncoding.EncodeToString([]byte(raw))
	}
	if data == "" {
		return nil, llm.InvalidRequest("messages", "empty data: URL in image_url")
	}
	if mt == "" {
		return nil, llm.InvalidRequest("messages", "data: URL in image_url has no media type")
	}
	return &blob{MimeType: mt, Data: data}, nil
}

// fetch downloads an image and returns it base64-encoded, refusing anything that is not an
// image or is larger than budget.
func (m *mediaLoader) fetch(ctx context.Context, u string, budget int64) (*blob, int64, error) {
	fctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, llm.InvalidRequest("messages", "invalid image_url.url")
	}
	req.Header.Set("Accept", "image/*")
	req.Header.Set("User-Agent", "conduit-gateway")
	resp, err := m.fetchClient().Do(req)
	if err != nil {
		return nil, 0, fetchError(ctx, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, llm.InvalidRequest("messages", fmt.Sprintf("fetching image_url %s returned %d", u, resp.StatusCode))
	}
	if resp.ContentLength > budget {
		return nil, 0, tooLarge(u)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, budget+1))
	if err != nil {
		return nil, 0, fetchError(ctx, u, err)
	}
	if int64(len(data)) > budget {
		return nil, 0, tooLarge(u)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "" || mt == "application/octet-stream" || mt == "binary/octet-stream" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	if !strings.HasPrefix(mt, "image/") {
		return nil, 0, llm.InvalidRequest("messages", fmt.Sprintf("image_url %s is not an image (%s)", u, mt))
	}
	return &blob{MimeType: mt, Data: base64.StdEncoding.EncodeToString(data)}, int64(len(data)), nil
}

func tooLarge(u string) *llm.Error {
	return llm.InvalidRequest("messages", fmt.Sprintf("image_url %s: images of one request exceed %d MB", u, maxInlineBytes>>20))
}

// fetchError maps a failed fetch: the client going away stays a cancellation; anything else
// is the client's URL failing, a 400.
func fetchError(ctx context.Context, u string, err error) error {
	if ctx.Err() != nil {
		return providers.TransportError(Type, fmt.Errorf("fetch image_url: %w", ctx.Err()))
	}
	var blocked *blockedAddrError
	if errors.As(err, &blocked) {
		e := llm.InvalidRequest("messages", fmt.Sprintf("image_url %s: the host is not a public address", u))
		e.Cause = err
		return e
	}
	e := llm.InvalidRequest("messages", fmt.Sprintf("could not fetch image_url %s", u))
	e.Cause = err
	return e
}
