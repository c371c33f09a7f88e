import { describe, expect, it } from 'vitest';
import { auditDiff, flatten } from './diff';

describe('flatten', () => {
  it('turns nested objects into dotted paths, arrays stay whole', () => {
    expect(flatten({ a: 1, b: { c: 2, d: { e: null } }, f: [1, 2], g: {} })).toEqual({ a: 1, 'b.c': 2, 'b.d.e': null, f: [1, 2], g: {} });
  });
});

describe('auditDiff', () => {
  it('lists changed fields only, without timestamps', () => {
    const d = auditDiff({
      before: { name: 'a', rpm: 10, updated_at: 'x', fallbacks: { m: ['x'] }, same: true },
      after: { name: 'b', rpm: null, updated_at: 'y', fallbacks: { m: ['x', 'y'] }, same: true },
    });
    expect(d).toEqual([
      { field: 'name', before: 'a', after: 'b', kind: 'changed' },
      { field: 'rpm', before: '10', after: 'null', kind: 'changed' },
      { field: 'fallbacks.m', before: '["x"]', after: '["x","y"]', kind: 'changed' },
    ]);
  });

  it('shows a create as added fields and a delete as removed ones', () => {
    expect(auditDiff({ before: null, after: { name: 'k', api_key: '[redacted]' } })).toEqual([
      { field: 'name', before: '', after: 'k', kind: 'added' },
      { field: 'api_key', before: '', after: '[redacted]', kind: 'added' },
    ]);
    expect(auditDiff({ before: { name: 'k' }, after: null })).toEqual([{ field: 'name', before: 'k', after: '', kind: 'removed' }]);
  });

  it('returns null for other shapes', () => {
    expect(auditDiff(null)).toBeNull();
    expect(auditDiff({ note: 'x' })).toBeNull();
    expect(auditDiff([1])).toBeNull();
  });
});
