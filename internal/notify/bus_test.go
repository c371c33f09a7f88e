package notify

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeclock"
)

func TestBusResumeAfterID(t *testing.T) {
	b := NewBus(BusOptions{History: 5, Now: fakeclock.New(t0).Now})
	seed := b.LastID()
	var ids []uint64
	for i := range 8 {
		ev := b.Publish("request", map[string]int{"n": i})
		ids = append(ids, ev.ID)
	}
	for i, id := range ids {
		if id != seed+uint64(i)+1 {
			t.Fatalf("ids = %v, want consecutive after %d", ids, seed)
		}
	}
	if b.LastID() != ids[7] {
		t.Fatalf("LastID = %d, want %d", b.LastID(), ids[7])
	}
	tests := []struct {
		name    string
		after   uint64
		wantLen int
		first   uint64
	}{
		{"all kept (ring of 5)", 0, 5, ids[3]},
		{"after a kept id", ids[5], 2, ids[6]},
		{"after the last", ids[7], 0, 0},
		{"after an id no longer kept", ids[1], 5, ids[3]},
		{"from a later run", ids[7] + 100, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _, cancel := b.Subscribe(tc.after)
			defer cancel()
			if len(evs) != tc.wantLen {
				t.Fatalf("got %d events, want %d", len(evs), tc.wantLen)
			}
			for i, ev := range evs {
				if ev.ID != tc.first+uint64(i) || ev.Kind != "request" || !ev.Time.Equal(t0) {
					t.Fatalf("event %d = %+v", i, ev)
				}
			}
		})
	}
	// The event data is the JSON of what was published; RawMessage is kept as is.
	ev := b.Publish("request", json.RawMessage(`{"raw":true}`))
	if string(ev.Data) != `{"raw":true}` {
		t.Fatalf("raw data = %s", ev.Data)
	}
	if ev := b.Publish("bad", func() {}); ev.ID != 0 || b.LastID() != ids[7]+1 {
		t.Fatalf("unmarshalable data published: %+v", ev)
	}
}

func TestBusResumeThenLiveHasNoGap(t *testing.T) {
	b := NewBus(BusOptions{})
	first := b.Publish("x", 1)
	b.Publish("x", 2)
	evs, ch, cancel := b.Subscribe(first.ID)
	defer cancel()
	b.Publish("x", 3)
	got := []string{}
	for _, ev := range evs {
		got = append(got, string(ev.Data))
	}
	got = append(got, string((<-ch).Data))
	if len(got) != 2 || got[0] != "2" || got[1] != "3" {
		t.Fatalf("got %v, want [2 3]", got)
	}
	// Subscribing at LastID gives only new events.
	evs, ch2, cancel2 := b.Subscribe(b.LastID())
	defer cancel2()
	if len(evs) != 0 {
		t.Fatalf("history at LastID = %d events", len(evs))
	}
	b.Publish("x", 4)
	if ev := <-ch2; string(ev.Data) != "4" {
		t.Fatalf("live = %s", ev.Data)
	}
}

func TestBusFanOut(t *testing.T) {
	b := NewBus(BusOptions{})
	const subs, events = 3, 50
	chans := make([]<-chan Event, subs)
	for i := range chans {
		_, ch, cancel := b.Subscribe(b.LastID())
		defer cancel()
		chans[i] = ch
	}
	if b.Subscribers() != subs {
		t.Fatalf("Subscribers = %d", b.Subscribers())
	}
	for i := range events {
		b.Publish("x", i)
	}
	for s, ch := range chans {
		var last uint64
		for i := range events {
			ev := <-ch
			if last != 0 && ev.ID != last+1 || ev.Dropped != 0 || string(ev.Data) != itoa(i) {
				t.Fatalf("subscriber %d event %d = %+v (last %d)", s, i, ev, last)
			}
			last = ev.ID
		}
	}
}

func itoa(i int) string {
	data, _ := json.Marshal(i)
	return string(data)
}

func TestBusSlowSubscriberNeverBlocksPublish(t *testing.T) {
	b := NewBus(BusOptions{Buffer: 4})
	_, slow, cancelSlow := b.Subscribe(b.LastID()) // never read until the end
	defer cancelSlow()
	_, fast, cancelFast := b.Subscribe(b.LastID())
	defer cancelFast()

	got := make(chan int)
	go func() {
		n := 0
		for range fast {
			n++
		}
		got <- n
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10000 {
			b.Publish("x", i)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	// The slow one holds the first 4 events, then is told it lost the rest.
	for i := range 4 {
		if ev := <-slow; ev.Dropped != 0 {
			t.Fatalf("buffered event %d: Dropped = %d", i, ev.Dropped)
		}
	}
	b.Publish("x", "after")
	ev := <-slow
	if ev.Dropped != 10000-4 || string(ev.Data) != `"after"` {
		t.Fatalf("after draining: %+v, want Dropped %d", ev, 10000-4)
	}
	// The reader that keeps up receives events meanwhile (it may lose some too: it races
	// the publisher).
	cancelFast()
	if n := <-got; n == 0 {
		t.Fatal("fast subscriber received nothing")
	}
}

func TestBusCancelAndClose(t *testing.T) {
	b := NewBus(BusOptions{})
	_, ch, cancel := b.Subscribe(0)
	cancel()
	cancel() // idempotent
	if _, ok := <-ch; ok {
		t.Fatal("channel open after cancel")
	}
	_, ch2, cancel2 := b.Subscribe(0)
	defer cancel2()
	b.Close()
	if _, ok := <-ch2; ok {
		t.Fatal("channel open after Close")
	}
	b.Publish("x", 1) // still kept for resume
	evs, ch3, cancel3 := b.Subscribe(0)
	defer cancel3()
	if _, ok := <-ch3; ok || len(evs) != 1 {
		t.Fatalf("after Close: %d events, channel open %v", len(evs), ok)
	}
	if b.Subscribers() != 0 {
		t.Fatalf("Subscribers = %d", b.Subscribers())
	}
}

func TestBusConcurrent(t *testing.T) {
	b := NewBus(BusOptions{History: 100, Buffer: 8})
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 500 {
				b.Publish("x", p*1000+i)
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 20 {
				evs, ch, cancel := b.Subscribe(b.LastID() - 10)
				for i := 1; i < len(evs); i++ {
					if evs[i].ID != evs[i-1].ID+1 {
						t.Errorf("resume gap: %d then %d", evs[i-1].ID, evs[i].ID)
					}
				}
				select {
				case <-ch:
				default:
				}
				cancel()
			}
		})
	}
	wg.Wait()
	evs, _, cancel := b.Subscribe(0)
	cancel()
	if len(evs) != 100 || evs[99].ID != b.LastID() {
		t.Fatalf("kept %d events, last %d, LastID %d", len(evs), evs[len(evs)-1].ID, b.LastID())
	}
}
