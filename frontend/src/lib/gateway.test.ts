import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_URL, gatewayBaseURL, worthRetrying } from './gateway';

describe('gatewayBaseURL', () => {
  const wails = { protocol: 'wails:', origin: 'wails://wails' };
  const browser = { protocol: 'http:', origin: 'http://conduit.lan:8800' };
  it.each([
    ['the server answer wins in the desktop window', { base_url: 'http://127.0.0.1:8800/v1' }, wails, 'http://127.0.0.1:8800/v1'],
    ['the server answer wins in a browser', { base_url: 'https://gw.example/v1' }, browser, 'https://gw.example/v1'],
    ['a browser page falls back to its origin', null, browser, 'http://conduit.lan:8800/v1'],
    ['never a wails:// URL', null, wails, DEFAULT_BASE_URL],
    ['an empty answer is no answer', { base_url: '' }, wails, DEFAULT_BASE_URL],
    ['no location at all', undefined, undefined, DEFAULT_BASE_URL],
  ])('%s', (_name, system, loc, want) => {
    expect(gatewayBaseURL(system, loc)).toBe(want);
  });
});

describe('worthRetrying', () => {
  it.each([
    ['a network failure', null, null, true],
    ['a rate limit', 429, 'rate_limit_exceeded', true],
    ['a spent budget (also 429)', 429, 'insufficient_quota', false],
    ['an upstream error', 502, 'upstream_error', true],
    ['no healthy deployment', 503, 'no_healthy_deployment', true],
    ['a timeout', 504, 'upstream_timeout', true],
    ['a revoked key', 401, 'invalid_api_key', false],
    ['a model the key may not use', 403, 'model_not_allowed', false],
    ['an unknown alias', 404, 'model_not_found', false],
    ['a malformed request', 400, 'invalid_request', false],
  ])('%s', (_name, status, code, want) => {
    expect(worthRetrying(status, code)).toBe(want);
  });
});
