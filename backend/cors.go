package backend

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// CORS on /v1 is off until the cors_origins setting names the origins of browser apps that
// may call the client API ("*" for any). Such apps authenticate with a key in a header, never
// with cookies, so credentials are not allowed. /admin never answers CORS.
var (
	corsMethods = []string{"GET, POST, DELETE, OPTIONS"}
	corsExpose  = []string{"X-Request-Id, X-Conduit-Provider, X-Conduit-Overhead-Ms, X-Conduit-Fallback, " +
		"X-Conduit-Cache, X-Ratelimit-Remaining-Requests, Retry-After"}
	corsDefaultHeaders = []string{"Authorization, Content-Type, Api-Key, X-Api-Key, Anthropic-Version"}
	corsMaxAge         = []string{"600"}
	corsVary           = []string{"Origin"}
)

// cors marks a /v1 response for an allowed Origin and answers preflight requests; it returns
// true when it wrote the whole response.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && originAllowed(s.o.Config.Load().Settings.CORSOrigins, origin)
	h := w.Header()
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if !allowed {
			writeGuardError(w, r, http.StatusForbidden, "cors_origin_not_allowed",
				"the origin "+quoteHost(origin)+" may not call this API from a browser; an admin can allow it in the cors_origins setting")
			return true
		}
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Vary"] = corsVary
		h["Access-Control-Allow-Methods"] = corsMethods
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h["Access-Control-Allow-Headers"] = []string{req}
		} else {
			h["Access-Control-Allow-Headers"] = corsDefaultHeaders
		}
		h["Access-Control-Max-Age"] = corsMaxAge
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	if allowed {
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Vary"] = corsVary
		h["Access-Control-Expose-Headers"] = corsExpose
	}
	return false
}

func originAllowed(list []string, origin string) bool {
	for _, o := range list {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// corsOriginsField validates the cors_origins setting: "*" or origins such as
// "https://app.example.com" or "http://localhost:5173" (scheme, host and port only).
func corsOriginsField(name string, raw json.RawMessage, dst *[]string) error {
	var in []string
	if json.Unmarshal(raw, &in) != nil {
		return invalid(name, "cors_origins must be an array of origins such as \"https://app.example.com\", or [\"*\"]")
	}
	if len(in) > 100 {
		return invalid(name, "cors_origins holds at most 100 origins")
	}
	out := make([]string, 0, len(in))
	for _, o := range in {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				return invalid(name, "not an origin: "+quoteHost(o)+" (write scheme://host[:port], e.g. https://app.example.com)")
			}
			o = strings.ToLower(u.Scheme + "://" + u.Host)
		}
		if !contains(out, o) {
			out = append(out, o)
		}
	}
	*dst = out
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
