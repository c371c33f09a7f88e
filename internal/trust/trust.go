// Package trust gives a provider with its own certificate authority (a self-hosted upstream
// behind a private CA) an HTTP client that trusts it, besides the system's roots.
package trust

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"sync"
)

// MaxPEM bounds a CA bundle.
const MaxPEM = 256 << 10

// Check reports whether bundle is usable: PEM holding at least one certificate.
func Check(bundle string) error {
	if len(bundle) > MaxPEM {
		return errors.New("the CA bundle is larger than 256 KiB")
	}
	if !x509.NewCertPool().AppendCertsFromPEM([]byte(bundle)) {
		return errors.New("the CA bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	return nil
}

// Clients hands out one client per CA bundle, built on a base client's transport, so
// rebuilding the configuration keeps each upstream's connection pool. The zero value is ready
// to use; it is safe for concurrent use.
type Clients struct {
	m sync.Map // [32]byte (SHA-256 of the bundle) → *http.Client
}

// For returns base when bundle is empty, else a client like base whose TLS trusts the
// system roots and the certificates of bundle.
func (c *Clients) For(base *http.Client, bundle string) (*http.Client, error) {
	if bundle == "" {
		return base, nil
	}
	key := sha256.Sum256([]byte(bundle))
	if v, ok := c.m.Load(key); ok {
		return v.(*http.Client), nil
	}
	if err := Check(bundle); err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM([]byte(bundle))
	tr, ok := base.Transport.(*http.Transport)
	if !ok || tr == nil {
		tr = http.DefaultTransport.(*http.Transport)
	}
	tr = tr.Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr.TLSClientConfig.RootCAs = pool
	client := &http.Client{Transport: tr, Timeout: base.Timeout, CheckRedirect: base.CheckRedirect, Jar: base.Jar}
	v, _ := c.m.LoadOrStore(key, client)
	return v.(*http.Client), nil
}
