// Command fakeopenai serves a fake OpenAI-compatible upstream on loopback, for end-to-end
// tests and benchmarks. It never calls out.
package main

import (
	"encoding/json"
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
	script := flag.String("script", "", `faults as the JSON of fakeopenai.Script, e.g. {"FailStatus":429,"FailTimes":1,"RetryAfter":"2"} or {"CutAfter":40} (durations in nanoseconds)`)
	flag.Parse()
	s := fakeopenai.New(*key)
	if *reply != "" {
		s.Reply = *reply
	}
	sc := fakeopenai.Script{Latency: *latency}
	if *script != "" {
		if err := json.Unmarshal([]byte(*script), &sc); err != nil {
			log.Fatalf("-script: %v", err)
		}
	}
	s.Set(sc)
	s.KeepRequests = false
	log.Printf("fake OpenAI upstream on http://%s/v1", *addr)
	log.Fatal(http.ListenAndServe(*addr, s))
}
