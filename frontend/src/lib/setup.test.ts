import { describe, expect, it } from 'vitest';
import { setupSteps } from './setup';

describe('setupSteps', () => {
  it('marks what is done, in order, each linking to its page', () => {
    const steps = setupSteps({ providers: 1, models: 0, keys: 0, requests: false });
    expect(steps.map((s) => [s.id, s.done, s.path])).toEqual([
      ['provider', true, '/providers'],
      ['model', false, '/models'],
      ['key', false, '/keys'],
      ['chat', false, '/chat'],
    ]);
  });
  it('opens the create form of the pages that have one', () => {
    const steps = setupSteps({ providers: 0, models: 0, keys: 0, requests: false });
    expect(steps.map((s) => [s.id, s.params])).toEqual([
      ['provider', { new: '1' }],
      ['model', { new: '1' }],
      ['key', { new: '1' }],
      ['chat', {}],
    ]);
  });
  it('is all done on a set-up server', () => {
    expect(setupSteps({ providers: 2, models: 3, keys: 1, requests: true }).every((s) => s.done)).toBe(true);
  });
});
