// Live state shared by the shell: unread notifications and the /admin/events stream.

import { ApiError, notifications, streamEvents } from './api';
import type { Notification, ServerEvent } from './types';
import { toasts } from './toast.svelte';

class Live {
  unread = $state(0);
  /** false once the server answered 404 for notifications (feature not there yet). */
  available = $state(true);
  connected = $state(false);
  /** Bumped on every event, so pages can refresh. */
  tick = $state(0);
  lastEvent = $state<ServerEvent | null>(null);
  private abort: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  async refreshUnread() {
    try {
      const list = await notifications.list();
      this.unread = list.filter((n) => !n.read).length;
      this.available = true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 501)) this.available = false;
    }
  }

  start() {
    this.stop();
    void this.refreshUnread();
    this.abort = new AbortController();
    void this.connect(this.abort.signal, 0);
  }

  stop() {
    this.abort?.abort();
    this.abort = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.connected = false;
  }

  private async connect(signal: AbortSignal, attempt: number) {
    try {
      this.connected = true;
      await streamEvents((ev) => this.onEvent(ev), signal);
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 404 || e.status === 501 || e.status === 401)) {
        this.connected = false;
        return; // not offered (yet) or signed out: do not retry
      }
    } finally {
      this.connected = false;
    }
    if (signal.aborted) return;
    const delay = Math.min(30000, 1000 * 2 ** attempt);
    this.timer = setTimeout(() => void this.connect(signal, attempt + 1), delay);
  }

  private onEvent(ev: ServerEvent) {
    this.lastEvent = ev;
    this.tick++;
    if (ev.event === 'notification') {
      try {
        const n = JSON.parse(ev.data) as Notification;
        if (!n.read) this.unread++;
        toasts.show(n.title, n.severity === 'error' || n.severity === 'critical' ? 'err' : 'info', 6000);
      } catch {
        /* ignore malformed event */
      }
    }
  }
}

export const live = new Live();
