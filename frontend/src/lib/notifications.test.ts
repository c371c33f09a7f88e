import { describe, expect, it, vi } from 'vitest';
import { NotificationStore, applyChange, insertNotification, isNotification, type NotificationApi, type NotificationChange } from './notifications.svelte';
import type { Notification } from './types';

const n = (id: string, time: string, read = false, extra: Partial<Notification> = {}): Notification => ({
  id,
  time,
  read,
  type: 'budget',
  severity: 'warning',
  title: `title ${id}`,
  body: '',
  ...extra,
});

function fakeApi(list: Notification[], unread?: number): NotificationApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    list: vi.fn(async (q) => {
      calls.push(`list ${q.limit}`);
      return { data: list.map((x) => ({ ...x })), unread: unread ?? list.filter((x) => !x.read).length };
    }),
    markRead: vi.fn(async (id: string) => {
      calls.push(`read ${id}`);
    }),
    markAllRead: vi.fn(async () => {
      calls.push('read-all');
    }),
  };
}

describe('insertNotification', () => {
  it('keeps newest first, skips known ids and trims', () => {
    const list = [n('b', '2026-01-02T00:00:00Z'), n('a', '2026-01-01T00:00:00Z')];
    expect(insertNotification(list, n('c', '2026-01-03T00:00:00Z'))).toBe(true);
    expect(insertNotification(list, n('m', '2026-01-01T12:00:00Z'))).toBe(true);
    expect(insertNotification(list, n('c', '2026-01-03T00:00:00Z'))).toBe(false);
    expect(list.map((x) => x.id)).toEqual(['c', 'b', 'm', 'a']);
    insertNotification(list, n('d', '2026-01-04T00:00:00Z'), 3);
    expect(list.map((x) => x.id)).toEqual(['d', 'c', 'b']);
  });
});

describe('isNotification', () => {
  it('accepts notification objects only', () => {
    expect(isNotification(n('a', '2026-01-01T00:00:00Z'))).toBe(true);
    expect(isNotification({ key_id: 'k', spend: 1 })).toBe(false);
    expect(isNotification(null)).toBe(false);
  });
});

describe('NotificationStore', () => {
  it('loads the recent list and the server unread count', async () => {
    const api = fakeApi([n('a', '2026-01-01T00:00:00Z'), n('b', '2026-01-02T00:00:00Z', true)], 7);
    const s = new NotificationStore(api, 10);
    await s.refresh();
    expect(s.loaded).toBe(true);
    expect(s.items.map((x) => x.id)).toEqual(['b', 'a']);
    expect(s.unread).toBe(7); // the server counts beyond the page
    expect(api.calls).toEqual(['list 10']);
  });

  it('adds live notifications once and counts them as unread', async () => {
    const s = new NotificationStore(fakeApi([]), 3);
    await s.refresh();
    const seen: NotificationChange[] = [];
    s.subscribe((c) => seen.push(c));
    expect(s.add(n('x', '2026-01-05T00:00:00Z'))).toBe(true);
    expect(s.add(n('x', '2026-01-05T00:00:00Z'))).toBe(false); // repeated by a resumed stream
    expect(s.add(n('y', '2026-01-06T00:00:00Z', true))).toBe(true);
    expect(s.unread).toBe(1);
    expect(s.items.map((x) => x.id)).toEqual(['y', 'x']);
    expect(seen.map((c) => c.kind)).toEqual(['added', 'added']);
  });

  // A notification pushed live while a refresh is in flight, then the refresh's answer.
  it.each([
    { name: 'keeps the live one next to an older page', page: ['old'], ids: ['live', 'old'], unread: 2 },
    { name: 'does not count the live one twice when the page already has it', page: ['live'], ids: ['live'], unread: 1 },
  ])('$name', async ({ page, ids, unread }) => {
    let resolve!: (v: { data: Notification[]; unread: number }) => void;
    const api = fakeApi([]);
    api.list = () => new Promise((r) => (resolve = r));
    const s = new NotificationStore(api, 10);
    const p = s.refresh();
    s.add(n('live', '2026-01-09T00:00:00Z'));
    resolve({ data: page.map((id) => n(id, id === 'live' ? '2026-01-09T00:00:00Z' : '2026-01-01T00:00:00Z')), unread: 1 });
    await p;
    expect(s.items.map((x) => x.id)).toEqual(ids);
    expect(s.unread).toBe(unread);
  });

  it('marks one read, optimistically, and rolls back on failure', async () => {
    const api = fakeApi([n('a', '2026-01-01T00:00:00Z'), n('b', '2026-01-02T00:00:00Z')]);
    const s = new NotificationStore(api);
    await s.refresh();
    const seen: NotificationChange[] = [];
    s.subscribe((c) => seen.push(c));
    await s.markRead('a');
    expect(s.unread).toBe(1);
    expect(s.items.find((x) => x.id === 'a')?.read).toBe(true);
    expect(seen).toEqual([{ kind: 'read', id: 'a' }]);

    api.markRead = vi.fn().mockRejectedValue(new Error('boom'));
    await expect(s.markRead('b')).rejects.toThrow('boom');
    expect(s.items.find((x) => x.id === 'b')?.read).toBe(false);
    expect(s.unread).toBe(1);
  });

  it('marks an item it does not hold (older than the recent list)', async () => {
    const s = new NotificationStore(fakeApi([n('a', '2026-01-01T00:00:00Z')], 5));
    await s.refresh();
    await s.markRead('old', true);
    expect(s.unread).toBe(4);
    await s.markRead('older-but-read', false);
    expect(s.unread).toBe(4);
  });

  it('marks all read', async () => {
    const api = fakeApi([n('a', '2026-01-01T00:00:00Z'), n('b', '2026-01-02T00:00:00Z')]);
    const s = new NotificationStore(api);
    await s.refresh();
    await s.markAllRead();
    expect(s.unread).toBe(0);
    expect(s.items.every((x) => x.read)).toBe(true);
    expect(api.calls).toContain('read-all');
  });

  it('remembers a load error and clears on sign-out', async () => {
    const api = fakeApi([]);
    api.list = vi.fn().mockRejectedValue(new Error('offline'));
    const s = new NotificationStore(api);
    await s.refresh();
    expect(s.error?.message).toBe('offline');
    expect(s.loaded).toBe(false);
    s.clear();
    expect(s.error).toBeNull();
    expect(s.items).toEqual([]);
  });
});

describe('applyChange', () => {
  it('keeps a page list in step with the store', () => {
    const list = [n('a', '2026-01-01T00:00:00Z')];
    applyChange(list, { kind: 'added', n: n('b', '2026-01-02T00:00:00Z') });
    applyChange(list, { kind: 'added', n: n('c', '2026-01-03T00:00:00Z', false, { type: 'system' }) }, (x) => x.type === 'budget');
    expect(list.map((x) => x.id)).toEqual(['b', 'a']);
    applyChange(list, { kind: 'read', id: 'a' });
    expect(list.map((x) => x.read)).toEqual([false, true]);
    applyChange(list, { kind: 'all-read' });
    expect(list.every((x) => x.read)).toBe(true);
  });
});
