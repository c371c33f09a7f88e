package backend

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/conduit-gw/conduit/internal/llm"
)

// diagnosis explains a failed provider connection test: what went wrong, at which address,
// and what usually fixes it. It never holds a secret: the address loses its query and user
// info, and an upstream's answer is shown as its (redacted) public message.
type diagnosis struct {
	Cause string `json:"cause"`
	URL   string `json:"url,omitempty"`
	Hint  string `json:"hint,omitempty"`
}

func diagnose(err error) diagnosis {
	var d diagnosis
	var ue *url.Error
	if errors.As(err, &ue) {
		d.URL = safeURL(ue.URL)
	}
	e := llm.AsError(err)
	var le *llm.Error
	switch {
	case !errors.As(err, &le):
		d.Cause = err.Error()
	case e.UpstreamStatus != 0 || ue == nil:
		d.Cause = e.Message
	default:
		d.Cause = ue.Err.Error()
	}
	d.Hint = hint(err, e.UpstreamStatus)
	return d
}

// hint names the usual fix for the common ways a connection test fails.
func hint(err error, status int) string {
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var verifyErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var ne net.Error
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "The provider refused the API key: check the key (and that it may use this API)."
	case status == http.StatusNotFound:
		return "Nothing at that address: check the base URL (OpenAI-compatible servers usually end in /v1)."
	case status == http.StatusTooManyRequests:
		return "The provider is rate-limiting this key: wait a moment, or check its quota."
	case status >= 500:
		return "The provider answered with a server error: try again later, or check its status page."
	case errors.Is(err, syscall.ECONNREFUSED):
		return "Nothing is listening there: is the server running, and are the host and port in the base URL right?"
	case errors.As(err, &dnsErr):
		return "The host name does not resolve: check its spelling in the base URL, and this machine's DNS."
	case errors.As(err, &hostErr):
		return "The server's TLS certificate is for another host name: use the name the certificate was issued for."
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return "The server's TLS certificate is not trusted: if it comes from a private CA, paste that CA under CA certificate."
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "The server does not speak HTTPS there: try http:// in the base URL."
	case errors.As(err, &ne) && ne.Timeout():
		return "No answer in time: is the host reachable from this machine (firewall, proxy)? A slow server may need a larger timeout."
	}
	return ""
}

// safeURL drops what may carry a secret (user info, query, fragment) from an address.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}
