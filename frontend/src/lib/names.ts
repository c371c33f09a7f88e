// Names for the ids the admin API returns (keys, providers, model deployments), for pages that
// show a name beside an id. A list that fails to load leaves its ids unnamed.

import type { IdNames } from './diff';
import { keys as keysApi, models as modelsApi, providers as providersApi } from './api';

/** keys and providers by id; models: deployment id → its alias. */
export type Names = IdNames;

export const NO_NAMES: Names = { keys: {}, providers: {}, models: {} };

export async function loadNames(): Promise<Names> {
  const [k, p, m] = await Promise.allSettled([keysApi.list(), providersApi.list(), modelsApi.list()]);
  return {
    keys: k.status === 'fulfilled' ? Object.fromEntries(k.value.map((x) => [x.id, x.name])) : {},
    providers: p.status === 'fulfilled' ? Object.fromEntries(p.value.map((x) => [x.id, x.name])) : {},
    models: m.status === 'fulfilled' ? Object.fromEntries(m.value.map((x) => [x.id, x.alias])) : {},
  };
}
