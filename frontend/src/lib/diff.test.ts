import { describe, expect, it } from 'vitest';
import { auditDiff, auditSubject, auditValue, flatten } from './diff';

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

describe('audit names', () => {
  const names = { keys: { key_1: 'search' }, providers: { prov_1: 'openai' }, models: { dep_1: 'gpt' } };
  it('names a resource by its id, or by what the entry recorded once it is gone', () => {
    expect(auditSubject({ resource: 'key', resource_id: 'key_1', changes: null }, names)).toBe('search');
    expect(auditSubject({ resource: 'model', resource_id: 'dep_1', changes: null }, names)).toBe('gpt');
    expect(auditSubject({ resource: 'provider', resource_id: 'prov_gone', changes: { before: { name: 'old' }, after: null } }, names)).toBe('old');
    expect(auditSubject({ resource: 'model', resource_id: 'dep_gone', changes: { before: { alias: 'fast' } } }, names)).toBe('fast');
    expect(auditSubject({ resource: 'key', resource_id: 'key_gone', changes: null }, names)).toBeNull();
    expect(auditSubject({ resource: 'router', resource_id: 'router', changes: null }, names)).toBeNull();
  });
  it('names a price by its model pattern', () => {
    const changed = { before: { id: 'cost_1', model_pattern: 'gpt-4o*' }, after: { id: 'cost_1', model_pattern: 'gpt-4o-*' } };
    expect(auditSubject({ resource: 'cost', resource_id: 'cost_1', changes: changed }, names)).toBe('gpt-4o-*');
    expect(auditSubject({ resource: 'cost', resource_id: 'cost_1', changes: { before: { model_pattern: 'claude-*' }, after: null } }, names)).toBe('claude-*');
    expect(auditSubject({ resource: 'settings', resource_id: 'settings', changes: { after: { name: 'x' } } }, names)).toBeNull();
  });
  it('shows ids with their names and strategies by name', () => {
    const s = (x: string) => (x === 'round_robin' ? 'Round robin' : x);
    expect(auditValue('provider_id', 'prov_1', names, s)).toBe('openai · prov_1');
    expect(auditValue('provider_id', 'prov_gone', names, s)).toBe('prov_gone');
    expect(auditValue('strategy', 'round_robin', names, s)).toBe('Round robin');
    expect(auditValue('name', 'prov_1', names, s)).toBe('prov_1');
  });
});
