// Command floorproxy is the benchmark's floor: a bare net/http/httputil.ReverseProxy with no
// auth, parsing or logging, in front of an upstream.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18901", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:18900", "upstream base URL")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
	}
	p.FlushInterval = -1 // flush SSE immediately
	log.Printf("floor proxy on http://%s → %s", *addr, u)
	log.Fatal(http.ListenAndServe(*addr, p))
}
