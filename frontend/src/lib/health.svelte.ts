// Provider health as last reported: seeded from GET /admin/system, updated live by
// provider_health events. The Dashboard, Providers and System pages all read it.

import type { ProviderHealth, ProviderStatus } from './types';
import { compareText } from './locale';

/** Data of a provider_health event. */
export interface HealthEvent {
  provider_id: string;
  name?: string;
  status: 'up' | 'down';
  error?: string;
}

export function isHealthEvent(v: unknown): v is HealthEvent {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e.provider_id === 'string' && (e.status === 'up' || e.status === 'down');
}

export class HealthStore {
  byId = $state<Record<string, ProviderHealth>>({});
  /** When the last event for each provider arrived (ms), so an older snapshot does not undo it. */
  private eventAt: Record<string, number> = {};
  private now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.now = now;
  }

  /**
   * Replaces the state with a /admin/system snapshot requested at `requestedAt` (ms). A
   * provider whose live event arrived after that keeps the event's status.
   */
  seed(list: ProviderHealth[] | null | undefined, requestedAt: number) {
    const next: Record<string, ProviderHealth> = {};
    for (const p of list ?? []) {
      const prev = this.byId[p.id];
      const at = this.eventAt[p.id];
      next[p.id] = prev && at !== undefined && at > requestedAt ? { ...p, status: prev.status, last_error: prev.last_error } : { ...p };
    }
    this.byId = next;
  }

  apply(ev: HealthEvent) {
    this.eventAt[ev.provider_id] = this.now();
    const cur = this.byId[ev.provider_id];
    const status: ProviderStatus = ev.status;
    if (cur) {
      cur.status = status;
      cur.last_error = status === 'down' ? ev.error || cur.last_error : '';
      if (ev.name) cur.name = ev.name;
    } else {
      this.byId[ev.provider_id] = {
        id: ev.provider_id,
        name: ev.name || ev.provider_id,
        type: '', // not in the event: known from the next /admin/system snapshot
        enabled: true,
        status,
        last_error: status === 'down' ? ev.error || '' : '',
        latency_ms: null,
      };
    }
  }

  /** Providers sorted by name. */
  get list(): ProviderHealth[] {
    return Object.values(this.byId).sort((a, b) => compareText(a.name, b.name));
  }

  clear() {
    this.byId = {};
    this.eventAt = {};
  }
}

export const health = new HealthStore();
