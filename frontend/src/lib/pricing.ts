// The server's price lookup (internal/pricing), for showing a chat answer's cost right away:
// exact pattern first (custom over default), then wildcards, most specific first; a model
// named "vendor/model" also matches by its part after the last slash.

import type { Cost, Deployment } from './types';

export function matchPattern(pattern: string, s: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === s;
  if (!s.startsWith(parts[0])) return false;
  let rest = s.slice(parts[0].length);
  const last = parts[parts.length - 1];
  for (const p of parts.slice(1, -1)) {
    const i = rest.indexOf(p);
    if (i < 0) return false;
    rest = rest.slice(i + p.length);
  }
  return rest.endsWith(last);
}

const specificity = (p: string) => p.length - (p.match(/\*/g)?.length ?? 0);

export function lookupCost(costs: Cost[], model: string): Cost | null {
  const exact = new Map<string, Cost>();
  const wild: Cost[] = [];
  for (const c of costs) {
    const p = c.model_pattern.toLowerCase();
    if (!p.includes('*')) {
      const old = exact.get(p);
      if (!(old && old.source === 'custom' && c.source !== 'custom')) exact.set(p, c);
    } else {
      wild.push(c);
    }
  }
  wild.sort((a, b) => specificity(b.model_pattern) - specificity(a.model_pattern) || (a.source === 'custom' ? -1 : 0) - (b.source === 'custom' ? -1 : 0));
  const find = (m: string) => exact.get(m) ?? wild.find((c) => matchPattern(c.model_pattern.toLowerCase(), m)) ?? null;
  const m = model.toLowerCase();
  const hit = find(m);
  if (hit) return hit;
  const i = m.lastIndexOf('/');
  return i >= 0 ? find(m.slice(i + 1)) : null;
}

/** USD for a usage under a price row. */
export function costOf(c: Cost, usage: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number }, images = 0): number {
  const cached = Math.min(usage.cached_tokens ?? 0, usage.prompt_tokens);
  const cachedPrice = c.cached_input_per_mtok ?? c.input_per_mtok;
  let cost = ((usage.prompt_tokens - cached) * c.input_per_mtok + cached * cachedPrice + usage.completion_tokens * c.output_per_mtok) / 1e6;
  if (c.per_image != null && images > 0) cost += images * c.per_image;
  return cost;
}

/**
 * Where "Set price" for a provider model leads: Model Costs with a new row for the model, and
 * back to the current page once it is saved.
 */
export function priceHref(model: string, back: string = typeof window === 'undefined' ? '' : window.location.hash): string {
  const q = new URLSearchParams({ price: model });
  if (back && !back.startsWith('#/costs')) q.set('back', back);
  return '#/costs?' + q.toString();
}

/** The page to return to after pricing (only a hash route of this app), or null. */
export function priceReturn(params: URLSearchParams): string | null {
  const back = params.get('back');
  return back && /^#\/[a-z]*/.test(back) ? back : null;
}

/** The provider models of enabled model rows that no price row matches, with their aliases. */
export function unpricedModels(deployments: readonly Deployment[]): { model: string; aliases: string[] }[] {
  const by = new Map<string, Set<string>>();
  for (const d of deployments) {
    if (d.priced !== false || !d.enabled) continue;
    const s = by.get(d.provider_model) ?? new Set<string>();
    s.add(d.alias);
    by.set(d.provider_model, s);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([model, aliases]) => ({ model, aliases: [...aliases].sort() }));
}
