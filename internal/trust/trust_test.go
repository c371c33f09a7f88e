package trust

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientsTrustTheBundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	bundle := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	base := &http.Client{Transport: &http.Transport{}}
	var cs Clients

	if c, err := cs.For(base, ""); err != nil || c != base {
		t.Fatalf("no bundle: %v %v", c, err)
	}
	if _, err := base.Get(srv.URL); err == nil {
		t.Fatal("the base client trusts the private CA")
	}
	c, err := cs.For(base, bundle)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("with the bundle: %v", err)
	}
	resp.Body.Close()
	if again, _ := cs.For(base, bundle); again != c {
		t.Error("a second call built another client (the connection pool would be lost)")
	}
	for _, bad := range []string{"not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"} {
		if _, err := cs.For(base, bad); err == nil {
			t.Errorf("bundle %q accepted", bad)
		}
		if Check(bad) == nil {
			t.Errorf("Check(%q) = nil", bad)
		}
	}
}
