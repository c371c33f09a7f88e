import type { ProviderTestResult } from './types';
import { plural } from './format';

/** What a passed connection test says beside "Connected": how many models the provider
 * lists, or, for one that lists none (a local server without GET /models), the server's
 * explanation without its leading "connected: ". */
export function connectedSummary(r: ProviderTestResult): string {
  const n = r.models?.length ?? 0;
  if (n > 0 || !r.message) return `${plural(n, 'model')} available`;
  return r.message.replace(/^connected:\s*/i, '');
}
