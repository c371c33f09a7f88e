package wav

import (
	"math"
	"testing"
	"time"
)

func tone(ms, rate int) []int16 {
	s := make([]int16, rate*ms/1000)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	return s
}

func TestDuration(t *testing.T) {
	full := PCM16(tone(300, 16000), 16000)
	withList := append(append([]byte(nil), full[:36]...), append([]byte("LIST\x03\x00\x00\x00abc\x00"), full[36:]...)...)
	withList[4] += 12
	open := append([]byte(nil), full...)
	copy(open[40:44], []byte{0xff, 0xff, 0xff, 0xff})
	for _, tt := range []struct {
		name string
		b    []byte
		want time.Duration
		ok   bool
	}{
		{"300 ms at 16 kHz", full, 300 * time.Millisecond, true},
		{"2 s at 8 kHz", PCM16(tone(2000, 8000), 8000), 2 * time.Second, true},
		{"odd-sized chunk before data", withList, 300 * time.Millisecond, true},
		{"open data size", open, 300 * time.Millisecond, true},
		{"cut short", full[:44+3200], 100 * time.Millisecond, true},
		{"not RIFF", []byte("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), 0, false},
		{"no fmt chunk", append([]byte("RIFF\x10\x00\x00\x00WAVE"), full[36:]...), 0, false},
		{"header only", full[:12], 0, false},
		{"empty", nil, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := Duration(tt.b)
			if d != tt.want || ok != tt.ok {
				t.Fatalf("Duration = %v, %v; want %v, %v", d, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzDuration(f *testing.F) {
	f.Add(PCM16(tone(10, 8000), 8000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) { Duration(b) })
}
