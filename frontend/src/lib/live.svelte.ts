// The shell's live connection: /admin/events feeds the notification store, provider health
// and key spend; its state is shown next to the bell.

import { ApiError, getSystem } from './api';
import { EventStream, type StreamState } from './events';
import { health, isHealthEvent } from './health.svelte';
import { isNotification, notificationStore } from './notifications.svelte';
import { toasts } from './toast.svelte';

export const EVENT_KINDS = ['notification', 'key_spend', 'provider_health', 'request'] as const;

export interface KeySpend {
  key_id: string;
  spend: number;
  max_budget: number | null;
}

function isKeySpend(v: unknown): v is KeySpend {
  return !!v && typeof v === 'object' && typeof (v as KeySpend).key_id === 'string' && typeof (v as KeySpend).spend === 'number';
}

class Live {
  state = $state<StreamState>('idle');
  /** Latest spend per key id from key_spend events. */
  spend = $state<Record<string, KeySpend>>({});
  /** Bumped when the stream came back after a drop: views reload what they show. */
  resyncs = $state(0);
  /** Bumped on every request / key_spend event (traffic happened). */
  traffic = $state(0);
  private stream: EventStream | null = null;

  start() {
    this.stop();
    void notificationStore.refresh();
    this.stream = new EventStream({
      url: '/admin/events',
      kinds: EVENT_KINDS,
      onEvent: (kind, data) => this.onEvent(kind, data),
      onState: (s) => (this.state = s),
      onOpen: (resumed) => {
        if (resumed) {
          void notificationStore.refresh();
          this.resyncs++;
        }
      },
      probe: async () => {
        try {
          await getSystem();
          return true;
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) return false; // signed out: the login page shows
          throw e;
        }
      },
    });
    this.stream.start();
  }

  stop() {
    this.stream?.stop();
    this.stream = null;
    this.state = 'idle';
  }

  /** Signed out: forget everything user-specific. */
  reset() {
    this.stop();
    notificationStore.clear();
    health.clear();
    this.spend = {};
  }

  onEvent(kind: string, data: unknown) {
    switch (kind) {
      case 'notification':
        if (isNotification(data) && notificationStore.add(data)) {
          const sev = data.severity;
          toasts.show(data.title, sev === 'critical' || sev === 'error' ? 'err' : 'info', 6000);
        }
        break;
      case 'provider_health':
        if (isHealthEvent(data)) health.apply(data);
        break;
      case 'key_spend':
        if (isKeySpend(data)) {
          this.spend[data.key_id] = data;
          this.traffic++;
        }
        break;
      case 'request':
        this.traffic++;
        break;
    }
  }
}

export const live = new Live();

/**
 * For a component's script: reload after traffic (request or key_spend events) seen while the
 * component is shown, ms after the first event of a burst and so at most once per ms.
 */
export function afterTraffic(ms: number, reload: () => void): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const atMount = live.traffic;
  $effect(() => {
    if (live.traffic === atMount || timer) return;
    timer = setTimeout(() => {
      timer = null;
      reload();
    }, ms);
  });
  $effect(() => () => {
    if (timer) clearTimeout(timer);
  });
}
