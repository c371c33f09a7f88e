import { describe, expect, it } from 'vitest';
import { dependentsDetails } from './dependents';

describe('dependentsDetails', () => {
  it('lists models, lost aliases, removed fallbacks and keys', () => {
    const got = dependentsDetails(
      {
        models: [
          { id: 'd1', alias: 'gpt', provider_model: 'gpt-4o' },
          { id: 'd2', alias: 'shared', provider_model: 'gpt-4o' },
        ],
        aliases: ['gpt'],
        fallbacks: [
          { field: 'fallbacks', alias: 'other', to: 'gpt' },
          { field: 'context_window_fallbacks', alias: 'gpt', to: 'big' },
        ],
        keys: [{ id: 'k1', name: 'ci' }],
      },
      { listModels: true },
    );
    expect(got).toEqual([
      { heading: 'Deletes 2 models:', items: ['gpt → gpt-4o', 'shared → gpt-4o'] },
      { heading: 'This alias stops answering (no model left):', items: ['gpt'] },
      { heading: 'Removes 2 fallbacks naming it:', items: ['other → gpt', 'gpt → big (context window)'] },
      { heading: '1 key allows it by name (kept, but matching nothing):', items: ['ci'] },
    ]);
  });
  it('is empty when nothing else goes', () => {
    expect(dependentsDetails({ models: [{ id: 'd', alias: 'a', provider_model: 'm' }], aliases: [], fallbacks: [], keys: [] })).toEqual([]);
  });
});
