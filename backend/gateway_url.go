package backend

import (
	"net"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// SetListenURL records the URL the gateway listens on (http://host:port), which the desktop
// window shows as the client base URL: its own location (wails://…) is no address a tool
// could use.
func (s *Server) SetListenURL(u string) {
	s.listenURL.Store(&u)
}

// clientBaseURL is the /v1 base URL to show the admin UI: the listen address for the desktop
// window, else the scheme and host the browser reached this server on.
func (s *Server) clientBaseURL(c echo.Context) string {
	if isDesktop(c) {
		if u := s.listenURL.Load(); u != nil && *u != "" {
			return loopbackURL(*u) + "/v1"
		}
	}
	return c.Scheme() + "://" + c.Request().Host + "/v1"
}

// loopbackURL replaces an unspecified listen host (0.0.0.0, ::) with 127.0.0.1, the address
// local tools reach it on.
func loopbackURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return raw
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		u.Host = net.JoinHostPort("127.0.0.1", port)
	}
	return strings.TrimSuffix(u.String(), "/")
}

// isDesktop reports whether the request came from the desktop app's own window.
func isDesktop(c echo.Context) bool {
	desktop, _ := c.Request().Context().Value(desktopKey{}).(bool)
	return desktop
}
