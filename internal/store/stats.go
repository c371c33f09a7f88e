package store

import (
	"encoding/binary"
	"errors"
	"math"
)

// The stats column of usage_hourly packs the totals of a row with its latency histogram:
//
//	varint prompt_tokens, varint completion_tokens, varint errors,
//	cost (float64 bits, 8 bytes little endian), histogram (latency.go)
//
// requests is the histogram's total count. The same totals are in the row's plain columns
// (for SQL and the indexes); the packed copy is what Summarize reads, because every value a
// row hands to a SQL function costs about as much as the whole blob does.

var errBadStats = errors.New("corrupt usage stats")

// usageStats is one decoded stats value.
type usageStats struct {
	prompt, completion, errors int64
	cost                       float64
	bins                       []histBin // sorted; requests is the sum of the counts
}

func appendStats(buf []byte, s *usageStats) []byte {
	buf = binary.AppendVarint(buf, s.prompt)
	buf = binary.AppendVarint(buf, s.completion)
	buf = binary.AppendVarint(buf, s.errors)
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.cost))
	return appendHist(buf, s.bins)
}

// statsHead decodes the totals of a stats value and returns the encoded histogram after them.
func statsHead(blob []byte) (prompt, completion, errs int64, cost float64, hist []byte, err error) {
	var vals [3]int64
	for i := range vals {
		v, n := binary.Varint(blob)
		if n <= 0 {
			return 0, 0, 0, 0, nil, errBadStats
		}
		vals[i], blob = v, blob[n:]
	}
	if len(blob) < 8 {
		return 0, 0, 0, 0, nil, errBadStats
	}
	cost = math.Float64frombits(binary.LittleEndian.Uint64(blob))
	return vals[0], vals[1], vals[2], cost, blob[8:], nil
}

// decodeStats decodes a stats value, reusing dst.bins. An empty blob is all zero.
func decodeStats(dst *usageStats, blob []byte) error {
	dst.bins = dst.bins[:0]
	if len(blob) == 0 {
		*dst = usageStats{bins: dst.bins}
		return nil
	}
	var (
		hist []byte
		err  error
	)
	if dst.prompt, dst.completion, dst.errors, dst.cost, hist, err = statsHead(blob); err != nil {
		return err
	}
	dst.bins, err = decodeHist(dst.bins, hist)
	return err
}

// mergeStats returns the stats value holding the totals of a and b.
func mergeStats(a, b []byte) ([]byte, error) {
	var x, y usageStats
	if err := decodeStats(&x, a); err != nil {
		return nil, err
	}
	if err := decodeStats(&y, b); err != nil {
		return nil, err
	}
	x.prompt += y.prompt
	x.completion += y.completion
	x.errors += y.errors
	x.cost += y.cost
	x.bins = mergeBins(x.bins, y.bins)
	return appendStats(make([]byte, 0, 16+3*len(x.bins)), &x), nil
}

// addStats adds a stats value to a summary group.
func (g *summaryAgg) addStats(blob []byte) error {
	if len(blob) == 0 {
		return nil
	}
	prompt, compl, errs, cost, hist, err := statsHead(blob)
	if err != nil {
		return err
	}
	n, err := addHist(g.hist[:], hist)
	if err != nil {
		return err
	}
	g.g.Requests += int64(n)
	g.g.PromptTokens += prompt
	g.g.CompletionTokens += compl
	g.g.Errors += errs
	g.g.Cost += cost
	return nil
}

// addLog adds one request_logs row to a summary group.
func (g *summaryAgg) addLog(prompt, compl int64, status int64, cost, latencyMS float64) {
	g.g.Requests++
	g.g.PromptTokens += prompt
	g.g.CompletionTokens += compl
	g.g.Cost += cost
	if status >= 400 {
		g.g.Errors++
	}
	g.hist[histBucket(latencyMS)]++
}

// A summary (the result of conduit_usage and conduit_usage_logs) is a sequence of groups:
// uvarint key length, key, then the group's stats value prefixed by its uvarint length.

func appendSummary(buf []byte, g *summaryAgg) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(g.g.Key)))
	buf = append(buf, g.g.Key...)
	s := g.appendStats(nil)
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// appendStats appends the stats value of a summary group to buf.
func (g *summaryAgg) appendStats(buf []byte) []byte {
	buf = binary.AppendVarint(buf, g.g.PromptTokens)
	buf = binary.AppendVarint(buf, g.g.CompletionTokens)
	buf = binary.AppendVarint(buf, g.g.Errors)
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(g.g.Cost))
	return appendDenseHist(buf, g.hist[:])
}

// addSummary decodes a summary into acc, adding to the groups already there.
func addSummary(acc summaryAcc, buf []byte) error {
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(buf)
		if k <= 0 || n > uint64(len(buf)-k) {
			return nil, false
		}
		v := buf[k : k+int(n)]
		buf = buf[k+int(n):]
		return v, true
	}
	for len(buf) > 0 {
		key, ok := next()
		if !ok {
			return errBadStats
		}
		stats, ok := next()
		if !ok {
			return errBadStats
		}
		if err := acc.group(key).addStats(stats); err != nil {
			return err
		}
	}
	return nil
}

// encodeSums encodes the result of conduit_spend: per key, uvarint key length, key, and the sum
// (float64 bits, 8 bytes little endian).
func encodeSums(m map[string]float64) []byte {
	var buf []byte
	for k, v := range m {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	return buf
}

// addSums decodes a conduit_spend result, adding each sum to dst.
func addSums(dst map[string]float64, buf []byte) error {
	for len(buf) > 0 {
		n, k := binary.Uvarint(buf)
		if k <= 0 || n > uint64(len(buf)-k) || len(buf)-k-int(n) < 8 {
			return errBadStats
		}
		key := string(buf[k : k+int(n)])
		buf = buf[k+int(n):]
		dst[key] += math.Float64frombits(binary.LittleEndian.Uint64(buf))
		buf = buf[8:]
	}
	return nil
}
