// The client API's base URL as tools must be configured with it.

import type { SystemInfo } from './types';

/** Conduit's default listen address, shown until the server has said where it listens. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8800/v1';

/**
 * gatewayBaseURL is the /v1 base URL to show: the server's own answer (in the desktop window,
 * the address it listens on; the window's wails:// location is no address a tool can use),
 * else the page's origin when it is served over HTTP.
 */
export function gatewayBaseURL(
  system: Pick<SystemInfo, 'base_url'> | null | undefined,
  loc: { protocol: string; origin: string } | undefined = globalThis.location,
): string {
  if (system?.base_url) return system.base_url;
  if (loc && /^https?:$/.test(loc.protocol)) return loc.origin + '/v1';
  return DEFAULT_BASE_URL;
}

/**
 * worthRetrying says whether sending the same request again can give another answer: a network
 * failure (no status), a rate limit, a timeout or an upstream/server error can; a spent budget,
 * a refused key or model and a malformed request cannot until something is changed.
 */
export function worthRetrying(status: number | null, code: string | null): boolean {
  if (code === 'insufficient_quota') return false;
  if (status === null || status === 0) return true;
  return status === 408 || status === 429 || status >= 500;
}
