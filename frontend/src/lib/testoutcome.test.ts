import { describe, expect, it } from 'vitest';
import { connectedSummary } from './testoutcome';

const base = { ok: true, latency_ms: 1.5 };

describe('connectedSummary', () => {
  it('counts the models a provider lists', () => {
    expect(connectedSummary({ ...base, message: 'connected: 3 models available', models: ['a', 'b', 'c'] })).toBe('3 models available');
    expect(connectedSummary({ ...base, message: 'connected: 1 model available', models: ['a'] })).toBe('1 model available');
  });
  it("passes on the server's word for a provider that lists none", () => {
    const message = 'connected: it does not list its models (GET /models is not served); name its models by hand';
    expect(connectedSummary({ ...base, message, models: null })).toBe(
      'it does not list its models (GET /models is not served); name its models by hand',
    );
    expect(connectedSummary({ ...base, message: 'connected: 0 models available', models: [] })).toBe('0 models available');
  });
  it('falls back to the count without a message', () => {
    expect(connectedSummary({ ...base, message: '', models: null })).toBe('0 models available');
  });
});
