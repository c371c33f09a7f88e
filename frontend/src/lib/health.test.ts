import { describe, expect, it } from 'vitest';
import { HealthStore, isHealthEvent } from './health.svelte';
import type { ProviderHealth } from './types';

const p = (id: string, status: 'up' | 'down' = 'up', name = id): ProviderHealth => ({
  id,
  name,
  type: 'openai',
  enabled: true,
  status,
  last_error: status === 'down' ? 'old error' : '',
  latency_ms: 100,
});

describe('HealthStore', () => {
  it('seeds from /admin/system and applies live events', () => {
    let now = 1000;
    const h = new HealthStore(() => now);
    h.seed([p('b', 'up', 'Beta'), p('a', 'up', 'Alpha')], 900);
    expect(h.list.map((x) => x.name)).toEqual(['Alpha', 'Beta']);
    h.apply({ provider_id: 'a', name: 'Alpha', status: 'down', error: 'connection refused' });
    expect(h.byId.a.status).toBe('down');
    expect(h.byId.a.last_error).toBe('connection refused');
    expect(h.byId.a.latency_ms).toBe(100);
    now = 2000;
    h.apply({ provider_id: 'a', status: 'up' });
    expect(h.byId.a.status).toBe('up');
    expect(h.byId.a.last_error).toBe('');
  });

  it('does not let a snapshot requested before an event undo it', () => {
    let now = 5000;
    const h = new HealthStore(() => now);
    h.seed([p('a')], 1000);
    h.apply({ provider_id: 'a', status: 'down', error: 'timeout' }); // at 5000
    h.seed([p('a', 'up')], 4000); // asked before the event: stale
    expect(h.byId.a.status).toBe('down');
    h.seed([p('a', 'up')], 6000); // asked after: authoritative
    expect(h.byId.a.status).toBe('up');
    now = 7000;
    h.seed([], 7000); // provider deleted
    expect(h.list).toEqual([]);
  });

  it('adds a provider it only knows from an event', () => {
    const h = new HealthStore();
    h.apply({ provider_id: 'n', name: 'New', status: 'down', error: 'x' });
    expect(h.list).toMatchObject([{ id: 'n', name: 'New', status: 'down', last_error: 'x' }]);
  });

  it('recognises provider_health event data', () => {
    expect(isHealthEvent({ provider_id: 'a', status: 'up' })).toBe(true);
    expect(isHealthEvent({ provider_id: 'a', status: 'maybe' })).toBe(false);
    expect(isHealthEvent('x')).toBe(false);
  });
});
