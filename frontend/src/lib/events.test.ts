import { describe, expect, it, vi } from 'vitest';
import { EventStream, backoffDelay, resumeUrl, type EventSourceLike, type StreamState } from './events';

class FakeES implements EventSourceLike {
  static all: FakeES[] = [];
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  listeners = new Map<string, ((ev: MessageEvent) => void)[]>();
  closed = false;
  constructor(public url: string) {
    FakeES.all.push(this);
  }
  addEventListener(type: string, fn: (ev: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  emit(type: string, data: string, id = '') {
    for (const fn of this.listeners.get(type) ?? []) fn({ data, lastEventId: id } as MessageEvent);
  }
  /** The browser retries by itself. */
  drop() {
    this.readyState = 0;
    this.onerror?.(new Event('error'));
  }
  /** The browser gave up (HTTP error). */
  fail() {
    this.readyState = 2;
    this.onerror?.(new Event('error'));
  }
}

function setup(probe?: () => Promise<boolean>) {
  FakeES.all = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const events: [string, unknown, string][] = [];
  const states: StreamState[] = [];
  const opens: boolean[] = [];
  const s = new EventStream({
    url: '/admin/events',
    kinds: ['notification', 'provider_health'],
    onEvent: (k, d, id) => events.push([k, d, id]),
    onState: (st) => states.push(st),
    onOpen: (r) => opens.push(r),
    probe,
    create: (url) => new FakeES(url),
    timers: { set: (fn, ms) => timers.push({ fn, ms }) - 1, clear: (h) => (timers[h as number].fn = () => {}) },
    baseDelay: 1000,
    maxDelay: 8000,
    jitter: 0,
  });
  const flush = async () => {
    const t = timers.shift();
    t?.fn();
    await Promise.resolve();
    await Promise.resolve();
    return t?.ms;
  };
  return { s, timers, events, states, opens, flush };
}

describe('backoff', () => {
  it('doubles up to the cap and adds jitter', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, 1000, 8000))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffDelay(1, 1000, 8000, 0.5, () => 1)).toBe(3000);
  });
  it('adds last_event_id to resume', () => {
    expect(resumeUrl('/admin/events', '')).toBe('/admin/events');
    expect(resumeUrl('/admin/events', '42')).toBe('/admin/events?last_event_id=42');
    expect(resumeUrl('/x?a=1', '7')).toBe('/x?a=1&last_event_id=7');
  });
});

describe('EventStream', () => {
  it('connects, parses named JSON events and remembers the last id', () => {
    const { s, events, states, opens } = setup();
    s.start();
    expect(FakeES.all).toHaveLength(1);
    expect(FakeES.all[0].url).toBe('/admin/events');
    FakeES.all[0].open();
    FakeES.all[0].emit('notification', '{"id":"n1"}', '100');
    FakeES.all[0].emit('provider_health', 'not json', '101');
    expect(events).toEqual([['notification', { id: 'n1' }, '100']]);
    expect(s.lastId).toBe('101');
    expect(states).toEqual(['connecting', 'open']);
    expect(opens).toEqual([false]);
  });

  it('lets the browser retry a dropped connection and reports the resume', () => {
    const { s, states, opens, timers } = setup();
    s.start();
    const es = FakeES.all[0];
    es.open();
    es.drop();
    expect(s.state).toBe('reconnecting');
    expect(timers).toHaveLength(0); // no manual reconnect: EventSource does it
    es.open();
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    expect(opens).toEqual([false, true]);
    expect(FakeES.all).toHaveLength(1);
  });

  it('reconnects itself with backoff after the browser gave up, resuming after the last id', async () => {
    const { s, flush, opens } = setup();
    s.start();
    FakeES.all[0].open();
    FakeES.all[0].emit('notification', '{}', '55');
    FakeES.all[0].fail();
    expect(FakeES.all[0].closed).toBe(true);
    expect(s.state).toBe('reconnecting');
    expect(await flush()).toBe(1000);
    expect(FakeES.all).toHaveLength(2);
    expect(FakeES.all[1].url).toBe('/admin/events?last_event_id=55');
    FakeES.all[1].fail();
    expect(await flush()).toBe(2000);
    FakeES.all[2].fail();
    expect(await flush()).toBe(4000);
    FakeES.all[3].open();
    expect(s.attempt).toBe(0);
    expect(opens).toEqual([false, true]);
    FakeES.all[3].fail();
    expect(await flush()).toBe(1000); // backoff starts over after a success
  });

  it('stops for good when the probe says so (signed out)', async () => {
    const probe = vi.fn().mockResolvedValue(false);
    const { s, flush } = setup(probe);
    s.start();
    FakeES.all[0].fail();
    await flush();
    expect(probe).toHaveBeenCalledOnce();
    expect(FakeES.all).toHaveLength(1);
    expect(s.state).toBe('closed');
  });

  it('keeps trying when the probe itself fails (server down)', async () => {
    const probe = vi.fn().mockRejectedValue(new Error('down'));
    const { s, flush } = setup(probe);
    s.start();
    FakeES.all[0].fail();
    await flush();
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(2);
    expect(s.state).toBe('reconnecting');
  });

  it('ignores events from a closed connection and does nothing after stop', async () => {
    const { s, events, timers, flush } = setup();
    s.start();
    const es = FakeES.all[0];
    es.open();
    es.fail();
    s.stop();
    es.emit('notification', '{"x":1}', '9');
    expect(events).toEqual([]);
    expect(s.state).toBe('closed');
    await flush();
    expect(FakeES.all).toHaveLength(1);
    expect(timers).toHaveLength(0);
  });
});
