import { describe, expect, it } from 'vitest';
import { costOf, lookupCost, matchPattern, priceHref, priceReturn, unpricedModels } from './pricing';
import type { Cost, Deployment } from './types';

const c = (model_pattern: string, input: number, output: number, source: 'default' | 'custom' = 'default', cached: number | null = null): Cost => ({
  id: `${source}:${model_pattern}`,
  model_pattern,
  input_per_mtok: input,
  output_per_mtok: output,
  cached_input_per_mtok: cached,
  per_image: null,
  source,
});

describe('matchPattern', () => {
  it('matches * anywhere', () => {
    expect(matchPattern('gpt-4o*', 'gpt-4o-mini')).toBe(true);
    expect(matchPattern('claude-*-4*', 'claude-sonnet-4-5')).toBe(true);
    expect(matchPattern('claude-*-4*', 'claude-3')).toBe(false);
    expect(matchPattern('gpt-4o', 'gpt-4o-mini')).toBe(false);
    expect(matchPattern('*', 'anything')).toBe(true);
  });
});

describe('lookupCost', () => {
  const table = [c('gpt-4o', 2.5, 10), c('gpt-4o-mini', 0.15, 0.6), c('gpt-4o*', 5, 15), c('gpt-*', 9, 9), c('gpt-4o-mini', 1, 2, 'custom')];

  it('prefers exact (custom over default), then the most specific wildcard', () => {
    expect(lookupCost(table, 'gpt-4o')?.input_per_mtok).toBe(2.5);
    expect(lookupCost(table, 'GPT-4o-mini')?.source).toBe('custom');
    expect(lookupCost(table, 'gpt-4o-2024-08-06')?.model_pattern).toBe('gpt-4o*');
    expect(lookupCost(table, 'gpt-3.5')?.model_pattern).toBe('gpt-*');
    expect(lookupCost(table, 'llama3')).toBeNull();
  });

  it('falls back to the name after the last slash', () => {
    expect(lookupCost(table, 'openai/gpt-4o')?.input_per_mtok).toBe(2.5);
  });
});

describe('costOf', () => {
  it('prices prompt, cached and completion tokens per million', () => {
    expect(costOf(c('m', 2, 8), { prompt_tokens: 1000, completion_tokens: 500 })).toBeCloseTo(0.006, 12);
    expect(costOf(c('m', 2, 8, 'default', 1), { prompt_tokens: 1000, completion_tokens: 0, cached_tokens: 400 })).toBeCloseTo(0.0016, 12);
    expect(costOf({ ...c('m', 0, 0), per_image: 0.01 }, { prompt_tokens: 0, completion_tokens: 0 }, 2)).toBeCloseTo(0.02, 12);
  });
});

describe('priceHref', () => {
  it('opens Model Costs with the model and comes back', () => {
    const h = priceHref('house-7b', '#/models?provider=p1');
    expect(h.startsWith('#/costs?')).toBe(true);
    const q = new URLSearchParams(h.slice('#/costs?'.length));
    expect(q.get('price')).toBe('house-7b');
    expect(priceReturn(q)).toBe('#/models?provider=p1');
  });
  it('does not come back to Model Costs itself', () => {
    expect(priceHref('m', '#/costs')).toBe('#/costs?price=m');
  });
  it('returns only to a page of the app', () => {
    expect(priceReturn(new URLSearchParams({ back: 'https://evil.example/' }))).toBeNull();
    expect(priceReturn(new URLSearchParams())).toBeNull();
  });
});

describe('unpricedModels', () => {
  const dep = (alias: string, model: string, priced: boolean, enabled = true) => ({ alias, provider_model: model, priced, enabled }) as unknown as Deployment;
  it('groups the enabled unpriced rows by provider model', () => {
    expect(unpricedModels([dep('b', 'house', false), dep('a', 'house', false), dep('gpt', 'gpt-4o', true), dep('off', 'x', false, false)])).toEqual([
      { model: 'house', aliases: ['a', 'b'] },
    ]);
  });
});
