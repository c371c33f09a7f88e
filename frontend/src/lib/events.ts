// The live connection to /admin/events (SSE) on top of the browser's EventSource, with the
// reconnect policy EventSource lacks.
//
// EventSource reconnects by itself after a network error (honouring the server's `retry:` and
// sending Last-Event-ID), reporting it as an error with readyState CONNECTING. It gives up for
// good (readyState CLOSED) when the server answers with an HTTP error, e.g. 401 after the
// session ended or 5xx while the server restarts. Then this class asks `probe` whether to go
// on (the caller checks the session), and reconnects with exponential backoff, resuming after
// the last event id it saw (`?last_event_id=`, which the server accepts like Last-Event-ID).

export type StreamState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of EventSource this module uses (so tests can pass a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent) => void): void;
  close(): void;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface EventStreamOptions {
  url: string;
  /** Event names to listen for (`event:` field of the stream). */
  kinds: readonly string[];
  /** Called for each event; data is parsed JSON (events whose data is not JSON are skipped). */
  onEvent: (kind: string, data: unknown, id: string) => void;
  onState?: (state: StreamState) => void;
  /**
   * Called on every successful (re)connection; `resumed` is true after a drop, when events may
   * have been missed beyond what the server still keeps: the caller resynchronises.
   */
  onOpen?: (resumed: boolean) => void;
  /** Before a manual reconnect: resolve false to stop for good (e.g. signed out). */
  probe?: () => Promise<boolean>;
  create?: (url: string) => EventSourceLike;
  timers?: Timers;
  /** Backoff of manual reconnects: base * 2^attempt, capped at max (ms). */
  baseDelay?: number;
  maxDelay?: number;
  /** 0..1 fraction of the delay added at random, so many tabs do not reconnect in step. */
  jitter?: number;
}

const CONNECTING = 0;
const CLOSED = 2;

export function backoffDelay(attempt: number, base: number, max: number, jitter = 0, rand: () => number = Math.random): number {
  const d = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(d + d * jitter * rand());
}

/** `url` with last_event_id set (or unchanged when there is no id yet). */
export function resumeUrl(url: string, lastId: string): string {
  if (!lastId) return url;
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}last_event_id=${encodeURIComponent(lastId)}`;
}

export class EventStream {
  state: StreamState = 'idle';
  lastId = '';
  /** Manual reconnects since the last successful open. */
  attempt = 0;
  private es: EventSourceLike | null = null;
  private timer: unknown = null;
  private opened = false;
  private dropped = false;
  private stopped = true;
  private readonly o: Required<Pick<EventStreamOptions, 'baseDelay' | 'maxDelay' | 'jitter'>> & EventStreamOptions;

  constructor(opts: EventStreamOptions) {
    this.o = { baseDelay: 1000, maxDelay: 30000, jitter: 0.2, ...opts };
  }

  private get timers(): Timers {
    return this.o.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
  }

  private setState(s: StreamState) {
    if (this.state === s) return;
    this.state = s;
    this.o.onState?.(s);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.opened = false;
    this.dropped = false;
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.es?.close();
    this.es = null;
    this.setState('closed');
  }

  private connect() {
    if (this.stopped) return;
    const create = this.o.create ?? ((url: string) => new EventSource(url) as EventSourceLike);
    const es = create(resumeUrl(this.o.url, this.lastId));
    this.es = es;
    this.setState(this.opened || this.attempt > 0 ? 'reconnecting' : 'connecting');
    es.onopen = () => {
      if (this.es !== es) return;
      const resumed = this.opened && this.dropped;
      this.opened = true;
      this.dropped = false;
      this.attempt = 0;
      this.setState('open');
      this.o.onOpen?.(resumed);
    };
    es.onerror = () => {
      if (this.es !== es) return;
      this.dropped = true;
      if (es.readyState === CONNECTING) {
        this.setState('reconnecting'); // the browser retries by itself
        return;
      }
      if (es.readyState === CLOSED) {
        es.close();
        this.es = null;
        this.scheduleReconnect();
      }
    };
    for (const kind of this.o.kinds) {
      es.addEventListener(kind, (ev: MessageEvent) => {
        if (this.es !== es) return;
        if (ev.lastEventId) this.lastId = ev.lastEventId;
        let data: unknown;
        try {
          data = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        this.o.onEvent(kind, data, ev.lastEventId);
      });
    }
  }

  private scheduleReconnect() {
    if (this.stopped) return;
    this.setState('reconnecting');
    const delay = backoffDelay(this.attempt, this.o.baseDelay, this.o.maxDelay, this.o.jitter);
    this.attempt++;
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.retry();
    }, delay);
  }

  private async retry() {
    if (this.stopped) return;
    if (this.o.probe) {
      let goOn: boolean;
      try {
        goOn = await this.o.probe();
      } catch {
        goOn = true; // the probe itself failed (server down): keep trying
      }
      if (this.stopped) return;
      if (!goOn) {
        this.stop();
        return;
      }
    }
    this.connect();
  }
}
