package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// pathRate is the fixed rate of the Responses and PostgreSQL + Redis rows.
const pathRate = 1000

// Target names of the Responses and PostgreSQL + Redis rows.
const (
	nameChat       = "conduit chat"
	nameNative     = "conduit resp native"
	nameTranslated = "conduit resp translated"
	namePG         = "conduit pg+redis"
	nameCacheHit   = "conduit cache hit"
)

// responsesBody returns a Responses request of the same text as chatBody, for model.
func responsesBody(model string) func(stream bool) []byte {
	return func(stream bool) []byte {
		body := map[string]any{
			"model":             model,
			"instructions":      strings.Repeat("You are a concise assistant that answers in plain English. ", 9),
			"input":             strings.Repeat("Summarise the benefits of a gateway. ", 10),
			"temperature":       0.2,
			"max_output_tokens": 64,
		}
		if stream {
			body["stream"] = true
		}
		b, _ := json.Marshal(body)
		return b
	}
}

// runResponses measures POST /v1/responses, non-streamed and streamed, at pathRate next to
// chat on the same Conduit: passed through to an OpenAI provider, and translated to chat for
// an OpenAI-compatible one; the floor forwards Responses requests to the mock as a reference.
func (b *bench) runResponses(o options, targets []target, rep *report) {
	conduit := targets[len(targets)-1]
	url := "http://" + conduitAddr + "/v1/responses"
	ts := []target{
		{name: "floor responses", url: "http://" + floorAddr + "/v1/responses", proc: b.floor, body: responsesBody("gpt-4o-mini")},
		{name: nameChat, url: conduit.url, proc: conduit.proc, key: conduit.key},
		{name: nameNative, url: url, proc: conduit.proc, key: conduit.key, body: responsesBody("bench-native")},
		{name: nameTranslated, url: url, proc: conduit.proc, key: conduit.key, body: responsesBody("bench")},
	}
	for _, t := range ts {
		b.attack(t, "warmup", 500, time.Second, 0, false)
	}
	d := o.dur * 3 / 4
	rep.Runs = append(rep.Runs, b.interleaved(ts, "responses", pathRate, d, 0, false)...)
	rep.Runs = append(rep.Runs, b.interleaved(ts, "responses-stream", pathRate, d, 0, true)...)
}

// runCache measures chat at pathRate passed through next to the same request answered by the
// response cache: the alias bench-cached keeps every answer, and the body never changes, so
// all its requests but the first (per shape: JSON, stream) are hits.
func (b *bench) runCache(o options, targets []target, rep *report) {
	conduit := targets[len(targets)-1]
	ts := []target{
		{name: nameChat, url: conduit.url, proc: conduit.proc, key: conduit.key},
		{name: nameCacheHit, url: conduit.url, proc: conduit.proc, key: conduit.key,
			body: func(stream bool) []byte { return chatBodyOf("bench-cached", stream) }},
	}
	for _, t := range ts {
		b.attack(t, "warmup", 500, time.Second, 0, false)
	}
	d := o.dur * 3 / 4
	rep.Runs = append(rep.Runs, b.interleaved(ts, "cache", pathRate, d, 0, false)...)
	rep.Runs = append(rep.Runs, b.interleaved(ts, "cache-stream", pathRate, d, 0, true)...)
}

// runCluster starts a second Conduit on a throwaway PostgreSQL and Redis and measures it at
// pathRate against the first (SQLite, in-memory limits) and the mock called directly. It
// skips the row, saying why, when the servers are not installed.
func (b *bench) runCluster(o options, targets []target, rep *report) {
	s, err := b.startServices()
	if s != nil && s.dir != "" {
		b.dirs = append(b.dirs, s.dir)
	}
	if err != nil {
		rep.ClusterSkipped = err.Error()
		log.Printf("PostgreSQL + Redis row skipped: %v", err)
		return
	}
	data, err := os.MkdirTemp("", "conduit-bench-pgdata-")
	if err != nil {
		log.Fatal(err)
	}
	b.dirs = append(b.dirs, data)
	env := []string{"CONDUIT_MASTER_KEY=" + masterKey, "CONDUIT_SECRET_KEY=" + secretKey, "CONDUIT_LOG_LEVEL=warn"}
	p := b.start(namePG, filepath.Join(o.bin, "conduit"), env, "--headless", "--addr", conduitPGAddr,
		"--data-dir", data, "--database-url", s.pgURL, "--redis-url", s.redisURL)
	waitUp("http://" + conduitPGAddr + "/health")
	pg := target{name: namePG, url: "http://" + conduitPGAddr + "/v1/chat/completions", proc: p, key: setupConduit(conduitPGAddr)}
	b.attack(pg, "warmup", 500, 2*time.Second, 0, false)
	ts := []target{targets[0], targets[len(targets)-1], pg}
	redis0 := s.redis.cpu()
	runs := b.interleaved(ts, "cluster", pathRate, o.dur, 0, false)
	if r := runs[2]; r.Requests > 0 {
		rep.RedisCPUSecPer1k = (s.redis.cpu() - redis0).Seconds() / float64(r.Requests) * 1000
	}
	rep.Runs = append(rep.Runs, runs...)
}

// printPaths prints the Responses and PostgreSQL + Redis summaries.
func (rep *report) printPaths(w io.Writer) {
	for _, sc := range []string{"responses", "responses-stream"} {
		chat, ok := rep.find(nameChat, sc, pathRate)
		if !ok || chat.CPUSecPer1k == 0 {
			continue
		}
		fmt.Fprintf(w, "- %s at 1,000 req/s, CPU per request vs chat on the same Conduit (%.3f s/1k):", sc, chat.CPUSecPer1k)
		for _, name := range []string{nameNative, nameTranslated} {
			if r, ok := rep.find(name, sc, pathRate); ok {
				fmt.Fprintf(w, " %s %.3f s/1k = %.2f× (p50 %+.3f ms);", strings.TrimPrefix(name, "conduit resp "),
					r.CPUSecPer1k, r.CPUSecPer1k/chat.CPUSecPer1k, r.P50-chat.P50)
			}
		}
		fmt.Fprintln(w)
	}
	if rep.ClusterSkipped != "" {
		fmt.Fprintf(w, "- PostgreSQL + Redis: skipped (%s)\n", rep.ClusterSkipped)
		return
	}
	pg, ok1 := rep.find(namePG, "cluster", pathRate)
	lite, ok2 := rep.find("conduit", "cluster", pathRate)
	direct, ok3 := rep.find("direct", "cluster", pathRate)
	if !ok1 || !ok2 || !ok3 || lite.CPUSecPer1k == 0 {
		return
	}
	fmt.Fprintf(w, "- PostgreSQL + Redis vs SQLite/in-memory at 1,000 req/s: CPU %.3f vs %.3f s/1k = %.2f× (Redis itself %.3f s/1k); "+
		"p50 added over direct %+.3f vs %+.3f ms (%+.3f ms)\n", pg.CPUSecPer1k, lite.CPUSecPer1k,
		pg.CPUSecPer1k/lite.CPUSecPer1k, rep.RedisCPUSecPer1k, pg.P50-direct.P50, lite.P50-direct.P50, pg.P50-lite.P50)
}
