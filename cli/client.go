package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// client talks to a running Conduit's admin API with the master key.
type client struct {
	base string // http://host:port, no trailing slash
	key  string
	http *http.Client
}

// APIError is an admin API error answer: {"error":{"message","field"}} and its status.
type APIError struct {
	Status  int // 0: found by the command line before asking
	Message string
	Field   string
}

func (e *APIError) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return msg
}

// invalid is a bad flag found before asking the server, named like the API names its field.
func invalid(field, msg string) error { return &APIError{Field: field, Message: msg} }

// baseURL turns --url (a URL or a host:port such as CONDUIT_ADDR) into the server's base URL;
// a wildcard listen host means this machine.
func baseURL(raw string) (string, error) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	if !strings.Contains(raw, "://") {
		host, port, err := net.SplitHostPort(raw)
		if err != nil {
			return "", fmt.Errorf("--url: %q is neither a URL nor host:port", raw)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		raw = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("--url: %q is not an http(s) URL", raw)
	}
	return strings.TrimSuffix(raw, "/v1"), nil
}

// masterKey is CONDUIT_MASTER_KEY, else the master.key file the server wrote in its data dir.
func masterKey(getenv func(string) string, dataDir string) (string, error) {
	if k := strings.TrimSpace(getenv("CONDUIT_MASTER_KEY")); k != "" {
		return k, nil
	}
	file := filepath.Join(dataDir, "master.key")
	b, err := os.ReadFile(file)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	return "", fmt.Errorf("no master key: set CONDUIT_MASTER_KEY, or --data-dir to the server's data directory (%s not readable)", file)
}

// do sends one admin request and decodes a 2xx JSON answer into out (nil: discard).
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach Conduit at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return decodeError(resp.StatusCode, raw)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decoding the answer of %s %s: %w", method, path, err)
	}
	return nil
}

func decodeError(status int, raw []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
		return &APIError{Status: status, Message: e.Error.Message, Field: e.Error.Field}
	}
	msg := strings.TrimSpace(string(raw))
	if status == http.StatusUnauthorized {
		msg = "the master key was refused"
	} else if msg == "" {
		msg = http.StatusText(status)
	}
	return &APIError{Status: status, Message: msg}
}

// newHTTP is the client's transport: bounded, since every admin call is small.
func newHTTP() *http.Client { return &http.Client{Timeout: 60 * time.Second} }
