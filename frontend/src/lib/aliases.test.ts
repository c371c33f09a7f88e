import { describe, expect, it } from 'vitest';
import { aliasOptions, aliasProblem, editDistance, isPattern, matchesOf } from './aliases';

const aliases = ['claude-sonnet', 'gpt-4o', 'gpt-4o-mini', 'my-gpt'];

describe('matchesOf', () => {
  it.each([
    ['gpt-*', ['gpt-4o', 'gpt-4o-mini']],
    ['gpt-4o', ['gpt-4o']],
    ['*', aliases],
    ['mistral-*', []],
    ['gtp-4o', []],
  ])('%s', (name, want) => expect(matchesOf(name, aliases)).toEqual(want));
  it('knows a pattern', () => {
    expect(isPattern('gpt-*')).toBe(true);
    expect(isPattern('gpt')).toBe(false);
  });
});

describe('aliasOptions', () => {
  it('previews a pattern first, then aliases containing the text, prefix matches first', () => {
    const got = aliasOptions('gpt*', aliases, [], { patterns: true });
    expect(got[0]).toEqual({ value: 'gpt*', pattern: true, matches: ['gpt-4o', 'gpt-4o-mini'] });
    expect(got.slice(1).map((o) => o.value)).toEqual(['gpt-4o', 'gpt-4o-mini', 'my-gpt']);
  });
  it('offers no pattern where patterns are not allowed, nor what is chosen', () => {
    expect(aliasOptions('gpt*', aliases, ['gpt-4o']).map((o) => o.value)).toEqual(['gpt-4o-mini', 'my-gpt']);
  });
  it('lists every alias for an empty query', () => {
    expect(aliasOptions('', aliases, []).length).toBe(4);
  });
  it('shows a pattern that matches nothing yet', () => {
    expect(aliasOptions('mistral-*', aliases, [], { patterns: true })).toEqual([{ value: 'mistral-*', pattern: true, matches: [] }]);
  });
});

describe('aliasProblem', () => {
  it.each([
    ['gpt-4o', {}, null],
    ['gtp-4o', {}, 'No alias is named “gtp-4o”; did you mean “gpt-4o”?'],
    ['zzz', {}, 'No alias is named “zzz”'],
    ['gpt-*', { patterns: true }, null],
    ['gpt-*', {}, 'Pick an alias: patterns are not allowed here'],
    ['g*t', { patterns: true }, '“g*t”: * is only allowed at the end'],
    ['a b', {}, '“a b” must not contain spaces'],
  ])('%s', (name, opts, want) => expect(aliasProblem(name, aliases, opts)).toBe(want));
  it('says when there are no aliases at all', () => {
    expect(aliasProblem('gpt', [])).toBe('No alias is named “gpt” (there are no models yet)');
  });
  it('measures swaps as one edit', () => {
    expect(editDistance('gtp', 'gpt')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
