// Command fakeopenai serves a fake OpenAI-compatible upstream on loopback, for end-to-end
// tests and benchmarks. It never calls out.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18900", "listen address")
	key := flag.String("api-key", "", "require this API key (none when empty)")
	reply := flag.String("reply", "", "assistant reply text")
	latency := flag.Duration("latency", 0, "delay before every answer")
	flag.Parse()
	s := fakeopenai.New(*key)
	if *reply != "" {
		s.Reply = *reply
	}
	s.Set(fakeopenai.Script{Latency: *latency})
	s.KeepRequests = false
	log.Printf("fake OpenAI upstream on http://%s/v1", *addr)
	log.Fatal(http.ListenAndServe(*addr, s))
}
