package store

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// Latency histograms of the usage_hourly rollup.
//
// Buckets are fixed and log-spaced with growth factor histGamma: bucket 0 holds latencies
// <= histMinMS (and anything negative or NaN); bucket i >= 1 holds (histMinMS·γ^(i-1),
// histMinMS·γ^i]; the last bucket also holds everything above its lower bound. A bucket is
// reported as the value 2·U/(1+γ) (U its upper bound), whose relative distance to any value of
// the bucket is at most (γ-1)/(γ+1).
//
// Error bound: a percentile read from a histogram is the representative value of the bucket
// that holds the exact nearest-rank percentile, so it is within histRelErr (1.96%) of the exact
// value for latencies in (0.01 ms, ~44 h]. Latencies <= 0.01 ms are reported as 0 (absolute
// error <= 0.01 ms); latencies above ~44 h are under-reported as ~44 h.
const (
	histGamma   = 1.04
	histMinMS   = 0.01
	histBuckets = 600
	// histRelErr is the relative error bound of a percentile, (γ-1)/(γ+1).
	histRelErr = (histGamma - 1) / (histGamma + 1)
)

var (
	histInvLnGamma = 1 / math.Log(histGamma)
	// histValues[i] is the value reported for bucket i.
	histValues = func() [histBuckets]float64 {
		var v [histBuckets]float64
		for i := 1; i < histBuckets; i++ {
			v[i] = 2 * histMinMS * math.Pow(histGamma, float64(i)) / (1 + histGamma)
		}
		return v
	}()
)

// histBucket returns the bucket index of a latency in milliseconds.
func histBucket(ms float64) int {
	if !(ms > histMinMS) { // also NaN
		return 0
	}
	f := math.Ceil(math.Log(ms/histMinMS) * histInvLnGamma)
	if f >= histBuckets-1 { // also +Inf
		return histBuckets - 1
	}
	return max(int(f), 1)
}

// histBin is one non-empty bucket of a sparse histogram.
type histBin struct {
	idx uint16
	n   uint64
}

// binsOf turns bucket indexes (in any order, one per latency) into sorted sparse bins. It
// sorts idx in place.
func binsOf(idx []uint16) []histBin {
	slices.Sort(idx)
	out := make([]histBin, 0, min(len(idx), 16))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && idx[j] == idx[i] {
			j++
		}
		out = append(out, histBin{idx[i], uint64(j - i)})
		i = j
	}
	return out
}

// appendHist appends the encoding of sorted bins to buf: uvarint pairs (bucket delta from the
// previous bucket, count). An empty histogram encodes to nothing.
func appendHist(buf []byte, bins []histBin) []byte {
	prev := uint16(0)
	for _, b := range bins {
		buf = binary.AppendUvarint(buf, uint64(b.idx-prev))
		buf = binary.AppendUvarint(buf, b.n)
		prev = b.idx
	}
	return buf
}

var errBadHist = errors.New("corrupt latency histogram")

// decodeHist appends the bins of an encoded histogram to dst.
func decodeHist(dst []histBin, blob []byte) ([]histBin, error) {
	idx := uint64(0)
	for len(blob) > 0 {
		d, n := binary.Uvarint(blob)
		if n <= 0 {
			return dst, errBadHist
		}
		c, m := binary.Uvarint(blob[n:])
		if m <= 0 {
			return dst, errBadHist
		}
		blob = blob[n+m:]
		idx += d
		if idx >= histBuckets {
			return dst, errBadHist
		}
		dst = append(dst, histBin{uint16(idx), c})
	}
	return dst, nil
}

// appendDenseHist appends the encoding of the dense histogram h to buf.
func appendDenseHist(buf []byte, h []uint64) []byte {
	prev := 0
	for i, n := range h {
		if n != 0 {
			buf = binary.AppendUvarint(buf, uint64(i-prev))
			buf = binary.AppendUvarint(buf, n)
			prev = i
		}
	}
	return buf
}

// addHist adds an encoded histogram into the dense counts h (len histBuckets) without
// allocating, and returns how many values it holds.
func addHist(h []uint64, blob []byte) (uint64, error) {
	var idx, total uint64
	for len(blob) > 0 {
		d, n := binary.Uvarint(blob)
		if n <= 0 {
			return 0, errBadHist
		}
		c, m := binary.Uvarint(blob[n:])
		if m <= 0 {
			return 0, errBadHist
		}
		blob = blob[n+m:]
		idx += d
		if idx >= uint64(len(h)) {
			return 0, errBadHist
		}
		h[idx] += c
		total += c
	}
	return total, nil
}

// mergeBins merges two sorted bin lists.
func mergeBins(a, b []histBin) []histBin {
	out := make([]histBin, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].idx < b[0].idx:
			out, a = append(out, a[0]), a[1:]
		case a[0].idx > b[0].idx:
			out, b = append(out, b[0]), b[1:]
		default:
			out = append(out, histBin{a[0].idx, a[0].n + b[0].n})
			a, b = a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// histPercentile returns the nearest-rank p-th percentile of the dense histogram h holding
// total values: the value of the bucket holding the ceil(p/100·total)-th smallest value.
// It returns 0 for an empty histogram.
func histPercentile(h []uint64, total uint64, p float64) float64 {
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(total)))
	rank = min(max(rank, 1), total)
	var cum uint64
	for i, n := range h {
		cum += n
		if cum >= rank {
			return histValues[i]
		}
	}
	return histValues[len(h)-1]
}
