package respcache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Memory is an in-process store bounded in bytes: past MaxBytes the least recently used
// entries are evicted, and an entry past its TTL is gone. It is the whole store in a single
// process (Local puts a database behind it).
type Memory struct {
	maxBytes int
	now      func() time.Time
	// evicted, when set, is told of every key dropped to make room (not of expired ones).
	evicted func(key string)

	mu    sync.Mutex
	ll    *list.List // front: most recently used
	items map[string]*list.Element
	bytes int
}

type memItem struct {
	key     string
	e       *Entry
	expires time.Time
	size    int
}

// NewMemory returns an empty store holding up to maxBytes; now is the clock (nil: time.Now).
func NewMemory(maxBytes int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{maxBytes: maxBytes, now: now, ll: list.New(), items: map[string]*list.Element{}}
}

// Get returns the entry under key unless it expired, and marks it most recently used.
func (m *Memory) Get(_ context.Context, key string) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.items[key]
	if el == nil {
		return nil, nil
	}
	it := el.Value.(*memItem)
	if !m.now().Before(it.expires) {
		m.remove(el)
		return nil, nil
	}
	m.ll.MoveToFront(el)
	return it.e, nil
}

// Set stores e under key for ttl. An entry larger than the whole store is not kept.
func (m *Memory) Set(_ context.Context, key string, e *Entry, ttl time.Duration) {
	m.put(key, e, m.now().Add(ttl))
}

// put stores e under key until expires and evicts the least recently used entries past the
// bound (telling evicted of them).
func (m *Memory) put(key string, e *Entry, expires time.Time) {
	size := e.Size() + len(key)
	m.mu.Lock()
	var dropped []string
	if el := m.items[key]; el != nil {
		m.remove(el)
	}
	if size <= m.maxBytes {
		m.items[key] = m.ll.PushFront(&memItem{key: key, e: e, expires: expires, size: size})
		m.bytes += size
		for m.bytes > m.maxBytes {
			el := m.ll.Back()
			dropped = append(dropped, el.Value.(*memItem).key)
			m.remove(el)
		}
	}
	m.mu.Unlock()
	if m.evicted != nil {
		for _, k := range dropped {
			m.evicted(k)
		}
	}
}

func (m *Memory) remove(el *list.Element) {
	it := el.Value.(*memItem)
	m.ll.Remove(el)
	delete(m.items, it.key)
	m.bytes -= it.size
}

// Len returns how many entries the store holds (expired ones included until they are read).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

var _ Store = (*Memory)(nil)
