// Notification store: the most recent notifications and the unread count, loaded from
// GET /admin/notifications and kept current by live events. Views that keep their own list
// (the Notifications page) follow its changes through subscribe().

import { ApiError, notifications as api } from './api';
import type { Notification } from './types';
import { compareText } from './locale';

export type NotificationChange =
  | { kind: 'added'; n: Notification }
  | { kind: 'read'; id: string }
  | { kind: 'all-read' }
  | { kind: 'reset' };

export interface NotificationApi {
  list(q: { limit?: number; unread?: boolean }): Promise<{ data: Notification[]; unread: number }>;
  markRead(id: string): Promise<unknown>;
  markAllRead(): Promise<unknown>;
}

/** Newest first; ties broken by id so the order is stable. */
export function byTimeDesc(a: Notification, b: Notification): number {
  return compareText(b.time, a.time) || compareText(b.id, a.id);
}

/** Inserts n into a newest-first list unless its id is there already; returns whether it was new. */
export function insertNotification(list: Notification[], n: Notification, limit = Infinity): boolean {
  if (list.some((x) => x.id === n.id)) return false;
  let i = list.findIndex((x) => byTimeDesc(n, x) < 0);
  if (i < 0) i = list.length;
  list.splice(i, 0, n);
  if (list.length > limit) list.length = limit;
  return true;
}

/** Applies a change to a view's own list (e.g. the Notifications page). */
export function applyChange(list: Notification[], c: NotificationChange, filter: (n: Notification) => boolean = () => true): void {
  if (c.kind === 'added') {
    if (filter(c.n)) insertNotification(list, { ...c.n });
  } else if (c.kind === 'read') {
    const n = list.find((x) => x.id === c.id);
    if (n) n.read = true;
  } else if (c.kind === 'all-read') {
    for (const n of list) n.read = true;
  }
}

/** Whether a value from the event stream looks like a Notification. */
export function isNotification(v: unknown): v is Notification {
  if (!v || typeof v !== 'object') return false;
  const n = v as Record<string, unknown>;
  return typeof n.id === 'string' && typeof n.title === 'string' && typeof n.time === 'string';
}

export class NotificationStore {
  /** Most recent first, at most `limit`. */
  items = $state<Notification[]>([]);
  unread = $state(0);
  loaded = $state(false);
  error = $state<Error | null>(null);
  private listeners = new Set<(c: NotificationChange) => void>();
  private seq = 0;
  private sinceRefresh: Notification[] = [];
  private refreshing = false;
  private readonly api: NotificationApi;
  readonly limit: number;

  constructor(client: NotificationApi, limit = 20) {
    this.api = client;
    this.limit = limit;
  }

  subscribe(fn: (c: NotificationChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(c: NotificationChange) {
    for (const fn of this.listeners) fn(c);
  }

  /** Reloads the recent list and the unread count from the server. */
  async refresh(): Promise<void> {
    const my = ++this.seq;
    this.sinceRefresh = [];
    this.refreshing = true;
    try {
      const res = await this.api.list({ limit: this.limit });
      if (my !== this.seq) return;
      const items = [...res.data].sort(byTimeDesc);
      let unread = res.unread;
      // Notifications pushed while the request was in flight may be missing from its answer.
      for (const n of this.sinceRefresh) {
        if (insertNotification(items, n) && !n.read) unread++;
      }
      this.items = items.slice(0, this.limit);
      this.unread = unread;
      this.loaded = true;
      this.error = null;
      this.emit({ kind: 'reset' });
    } catch (e) {
      if (my !== this.seq) return;
      this.error = e instanceof Error ? e : new Error(String(e));
    } finally {
      if (my === this.seq) {
        this.refreshing = false;
        this.sinceRefresh = [];
      }
    }
  }

  /** A notification pushed live. Returns false for one already known (a resumed stream may repeat it). */
  add(n: Notification): boolean {
    if (this.items.some((x) => x.id === n.id)) return false;
    if (this.refreshing) this.sinceRefresh.push(n);
    insertNotification(this.items, n, this.limit);
    if (!n.read) this.unread++;
    this.emit({ kind: 'added', n });
    return true;
  }

  /** Marks one read; `unread` tells whether it was unread when it is not among the recent items. */
  async markRead(id: string, unread = true): Promise<void> {
    const n = this.items.find((x) => x.id === id);
    const wasUnread = n ? !n.read : unread;
    if (n) n.read = true;
    try {
      await this.api.markRead(id);
    } catch (e) {
      if (n && wasUnread) n.read = false;
      throw e;
    }
    if (wasUnread) this.unread = Math.max(0, this.unread - 1);
    this.emit({ kind: 'read', id });
  }

  async markAllRead(): Promise<void> {
    await this.api.markAllRead();
    for (const n of this.items) n.read = true;
    this.unread = 0;
    this.emit({ kind: 'all-read' });
  }

  /** Clears everything (signed out). */
  clear() {
    this.seq++;
    this.refreshing = false;
    this.sinceRefresh = [];
    this.items = [];
    this.unread = 0;
    this.loaded = false;
    this.error = null;
  }

  /** True when the server does not offer notifications. */
  get unavailable(): boolean {
    return this.error instanceof ApiError && (this.error.status === 404 || this.error.status === 501);
  }
}

export const notificationStore = new NotificationStore(api);
