import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_URL, gatewayBaseURL } from './gateway';

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
