package main

import (
	"log"
	"os"
	"path/filepath"
	"time"
)

// pathRate is the fixed rate of the Responses and PostgreSQL + Redis rows.
const pathRate = 1000

// Target names of the Responses and PostgreSQL + Redis rows.
const (
	nameChat       = "conduit chat"
	nameFloorChat  = "floor chat"
	nameFloorResp  = "floor responses"
	nameNative     = "conduit resp native"
	nameTranslated = "conduit resp translated"
	namePG         = "conduit pg+redis"
	nameCacheHit   = "conduit cache hit"
)

// responsesBody returns a Responses request of the same text as chatBody, for model.
func responsesBody(model string) func(stream bool) []byte {
	return func(stream bool) []byte {
		return encodeBody(map[string]any{
			"model":             model,
			"instructions":      systemPrompt(),
			"input":             userPrompt(),
			"temperature":       0.2,
			"max_output_tokens": 64,
		}, stream)
	}
}

// runResponses measures POST /v1/responses, non-streamed and streamed, at pathRate next to
// chat on the same Conduit: passed through to an OpenAI provider, and translated to chat for
// an OpenAI-compatible one; the floor forwards the same chat and Responses requests to the mock
// as a reference: what moving each API's bytes costs a bare proxy.
func (b *bench) runResponses(o options, targets []target, rep *report) {
	conduit := targets[len(targets)-1]
	url := "http://" + conduitAddr + "/v1/responses"
	ts := []target{
		{name: nameFloorChat, url: "http://" + floorAddr + "/v1/chat/completions", proc: b.floor},
		{name: nameFloorResp, url: "http://" + floorAddr + "/v1/responses", proc: b.floor, body: responsesBody("gpt-4o-mini")},
		{name: nameChat, url: conduit.url, proc: conduit.proc, key: conduit.key},
		{name: nameNative, url: url, proc: conduit.proc, key: conduit.key, body: responsesBody("bench-native")},
		{name: nameTranslated, url: url, proc: conduit.proc, key: conduit.key, body: responsesBody("bench")},
	}
	b.pathRows(o, ts, "responses", rep)
}

// pathRows warms the targets up and measures them interleaved at pathRate, non-streamed
// (scenario) and streamed (scenario-stream).
func (b *bench) pathRows(o options, ts []target, scenario string, rep *report) {
	for _, t := range ts {
		b.attack(t, "warmup", 500, time.Second, 0, false)
	}
	d := o.dur * 3 / 4
	rep.Runs = append(rep.Runs, b.interleaved(ts, scenario, pathRate, d, 0, false)...)
	rep.Runs = append(rep.Runs, b.interleaved(ts, scenario+"-stream", pathRate, d, 0, true)...)
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
	b.pathRows(o, ts, "cache", rep)
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
		b.fatalf("%v", err)
	}
	b.dirs = append(b.dirs, data)
	env := []string{"CONDUIT_MASTER_KEY=" + masterKey, "CONDUIT_SECRET_KEY=" + secretKey, "CONDUIT_LOG_LEVEL=warn"}
	p := b.start(namePG, filepath.Join(o.bin, "conduit"), env, "--headless", "--addr", conduitPGAddr,
		"--data-dir", data, "--database-url", s.pgURL, "--redis-url", s.redisURL)
	b.waitUp("http://" + conduitPGAddr + "/health")
	pg := target{name: namePG, url: "http://" + conduitPGAddr + "/v1/chat/completions", proc: p, key: b.setupConduit(conduitPGAddr)}
	b.attack(pg, "warmup", 500, 2*time.Second, 0, false)
	ts := []target{targets[0], targets[len(targets)-1], pg}
	redis0 := s.redis.cpu()
	runs := b.interleaved(ts, "cluster", pathRate, o.dur, 0, false)
	if r := runs[2]; r.Requests > 0 {
		rep.RedisCPUSecPer1k = (s.redis.cpu() - redis0).Seconds() / float64(r.Requests) * 1000
	}
	rep.Runs = append(rep.Runs, runs...)
}
