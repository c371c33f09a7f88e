import { describe, expect, it } from 'vitest';
import { UNSAVED_MESSAGE, UnsavedGuard } from './unsaved.svelte';

describe('unsaved-changes guard', () => {
  it('lets navigation go when nothing is unsaved, without asking', async () => {
    const g = new UnsavedGuard();
    let asked = 0;
    const ask = async () => (asked++, false);
    expect(await g.allow(ask)).toBe(true);
    g.add(() => false);
    expect(await g.allow(ask)).toBe(true);
    expect(asked).toBe(0);
  });

  it('asks while a page is dirty and follows the answer', async () => {
    const g = new UnsavedGuard();
    let dirty = true;
    const remove = g.add(() => dirty);
    const seen: string[] = [];
    expect(await g.allow(async (_t, m) => (seen.push(m), false))).toBe(false);
    expect(await g.allow(async () => true)).toBe(true);
    expect(seen).toEqual([UNSAVED_MESSAGE]);
    dirty = false;
    expect(g.dirty).toBe(false);
    dirty = true;
    remove();
    expect(g.dirty).toBe(false);
  });

  it('makes the browser ask before a dirty tab closes', () => {
    const g = new UnsavedGuard();
    const event = () => {
      const e = { prevented: false, returnValue: 'x', preventDefault() { this.prevented = true; } };
      g.beforeUnload(e as unknown as BeforeUnloadEvent);
      return e;
    };
    expect(event().prevented).toBe(false);
    g.add(() => true);
    const e = event();
    expect(e.prevented).toBe(true);
    expect(e.returnValue).toBe('');
  });
});
