import { describe, expect, it } from 'vitest';
import { STRATEGY_INFO, strategyName } from './strategies';
import { STRATEGIES } from './types';

describe('strategy names', () => {
  it('names every strategy the API knows, each differently', () => {
    const names = STRATEGIES.map(strategyName);
    expect(names).toEqual(['Simple', 'Random', 'Round robin', 'Weighted', 'Lowest latency', 'Lowest cost']);
    expect(Object.keys(STRATEGY_INFO).sort()).toEqual([...STRATEGIES].sort());
  });

  it('shows an unknown identifier as it is', () => {
    expect(strategyName('fastest_first')).toBe('fastest_first');
    expect(strategyName('')).toBe('');
  });
});
