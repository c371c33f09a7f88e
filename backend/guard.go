package backend

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// hostPolicy decides which Host headers are served: a page on another name that resolves to
// this machine (DNS rebinding) must not reach the gateway or the admin API as a same-origin
// page. IP literals are safe (a page cannot be served from an address it does not own), so
// loopback addresses always pass, the listen address passes, and when listening on every
// interface so does any IP literal.
type hostPolicy struct {
	any      bool            // "*" in the allowed hosts: every Host passes
	anyIP    bool            // listening on 0.0.0.0 or [::]: every IP literal passes
	names    map[string]bool // lower-case names and addresses without port or brackets
	suffixes []string        // ".example.com" for "*.example.com"
}

// newHostPolicy allows localhost, 127.0.0.1, [::1], the host of listen and extra (names,
// host:port, [v6], "*.domain" or "*").
func newHostPolicy(listen string, extra []string) *hostPolicy {
	p := &hostPolicy{names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	if listen != "" {
		h := hostOnly(listen)
		if a, err := netip.ParseAddr(h); (err == nil && a.IsUnspecified()) || h == "" {
			p.anyIP = true
		} else {
			p.names[strings.ToLower(h)] = true
		}
	}
	for _, e := range extra {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case e == "*":
			p.any = true
		case strings.HasPrefix(e, "*."):
			p.suffixes = append(p.suffixes, e[1:])
		default:
			p.names[hostOnly(e)] = true
		}
	}
	return p
}

// allows reports whether a request for host (the Host header) is served.
func (p *hostPolicy) allows(host string) bool {
	if p.any || host == "" { // no Host: not a browser
		return true
	}
	h := strings.ToLower(hostOnly(host))
	if p.names[h] {
		return true
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.IsLoopback() || p.anyIP
	}
	for _, s := range p.suffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}

// hostOnly strips the port and IPv6 brackets from a Host header or listen address.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// ownOrigin reports whether a browser request comes from a page of this server: its Origin
// (or, without one, its Referer) names the host the request was sent to. Requests without
// either (scripts, curl) are not same-origin.
func ownOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" || o == "null" {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// crossOrigin reports whether a request names an origin other than this server's: browsers
// send Origin on every POST, so a login from another site's page is refused. Without Origin
// (curl, SDKs) it is not cross-origin.
func crossOrigin(r *http.Request) bool {
	return r.Header.Get("Origin") != "" && !ownOrigin(r)
}

func desktopRequest(r *http.Request) bool {
	d, _ := r.Context().Value(desktopKey{}).(bool)
	return d
}

// Security headers of every response but /v1's: no framing, no MIME sniffing, no referrer to
// other sites, and for the web UI a policy that only runs the app's own scripts and styles
// (and the inline scripts of index.html, by hash). Model output shown by Chat is sanitised
// HTML; images it names from other sites are not loaded (img-src), so a prompt cannot make
// the browser call out.
func contentSecurityPolicy(index []byte) string {
	script := "'self'"
	for _, h := range inlineScriptHashes(index) {
		script += " '" + h + "'"
	}
	return "default-src 'self'; script-src " + script + "; style-src 'self'; " +
		"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' data: blob:; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// inlineScriptHashes returns the CSP hashes ("sha256-…") of the inline <script> elements of
// an HTML page.
func inlineScriptHashes(page []byte) []string {
	var out []string
	rest := page
	for {
		i := bytes.Index(rest, []byte("<script"))
		if i < 0 {
			return out
		}
		rest = rest[i+len("<script"):]
		end := bytes.IndexByte(rest, '>')
		if end < 0 {
			return out
		}
		attrs := rest[:end]
		rest = rest[end+1:]
		stop := bytes.Index(rest, []byte("</script>"))
		if stop < 0 {
			return out
		}
		body := rest[:stop]
		rest = rest[stop:]
		if bytes.Contains(attrs, []byte("src=")) {
			continue
		}
		sum := sha256.Sum256(body)
		out = append(out, "sha256-"+base64.StdEncoding.EncodeToString(sum[:]))
	}
}

var (
	hdrValNoSniff    = []string{"nosniff"}
	hdrValDeny       = []string{"DENY"}
	hdrValReferrer   = []string{"same-origin"}
	hdrValSameOrigin = []string{"same-origin"}
)

func (s *Server) securityHeaders(h http.Header) { setSecurityHeaders(h, s.csp) }

func setSecurityHeaders(h http.Header, csp []string) {
	h["Content-Security-Policy"] = csp
	h["X-Content-Type-Options"] = hdrValNoSniff
	h["X-Frame-Options"] = hdrValDeny
	h["Referrer-Policy"] = hdrValReferrer
	h["Cross-Origin-Opener-Policy"] = hdrValSameOrigin
}

// UISecurityHeaders returns middleware giving every response of a handler but /v1's the
// security headers the server gives its own (the policy's script hashes are those of ui's
// index.html): for the desktop window, whose asset server serves ui itself.
func UISecurityHeaders(ui fs.FS) func(http.Handler) http.Handler {
	index, _ := fs.ReadFile(orEmpty(ui), "index.html")
	csp := []string{contentSecurityPolicy(index)}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !isV1(r.URL.Path) {
				setSecurityHeaders(w.Header(), csp)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// guard is the outermost handler: it refuses hosts the server is not meant to be reached by,
// answers and marks /v1 CORS requests as the cors_origins setting says, and gives every other
// response the security headers. The desktop window's requests never cross the network and
// skip the host check.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allows(r.Host) && !desktopRequest(r) {
			writeGuardError(w, r, http.StatusMisdirectedRequest, "host_not_allowed",
				"this Conduit does not answer for the host "+quoteHost(r.Host)+
					"; if it should, add it with --allowed-hosts (CONDUIT_ALLOWED_HOSTS)")
			return
		}
		if !isV1(r.URL.Path) {
			s.securityHeaders(w.Header())
		} else if _, ok := r.Header["Origin"]; ok && s.cors(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

func quoteHost(h string) string {
	if len(h) > 100 {
		h = h[:100]
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == 0x7f {
			return -1
		}
		return r
	}, h) + `"`
}

// writeGuardError answers in the API's own error shape: OpenAI's on /v1, the admin API's
// elsewhere (its message field is common to both).
func writeGuardError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var body []byte
	if isV1(r.URL.Path) {
		body = mustJSON(openAIError{openAIErrorBody{Message: msg, Type: "invalid_request_error", Code: code}})
	} else {
		body = mustJSON(adminError{adminErrorBody{Message: msg}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // plain structs of strings
		return []byte(`{"error":{"message":"internal error"}}`)
	}
	return b
}
