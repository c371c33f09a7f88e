// What a delete takes with it, worded for its confirmation dialog.

import type { ConfirmDetail } from './confirm.svelte';
import type { Dependents } from './types';
import { plural } from './format';

/** The lists under a delete's confirmation: model rows, aliases that go, fallbacks removed, keys. */
export function dependentsDetails(d: Dependents, opts: { listModels?: boolean } = {}): ConfirmDetail[] {
  const out: ConfirmDetail[] = [];
  if (opts.listModels && d.models.length) {
    out.push({ heading: `Deletes ${plural(d.models.length, 'model')}:`, items: d.models.map((m) => `${m.alias} → ${m.provider_model}`) });
  }
  if (d.aliases.length) {
    out.push({ heading: `${d.aliases.length === 1 ? 'This alias stops' : 'These aliases stop'} answering (no model left):`, items: d.aliases });
  }
  if (d.fallbacks.length) {
    out.push({
      heading: `Removes ${plural(d.fallbacks.length, 'fallback')} naming ${d.aliases.length === 1 ? 'it' : 'them'}:`,
      items: d.fallbacks.map((f) => `${f.alias} → ${f.to}${f.field === 'context_window_fallbacks' ? ' (context window)' : ''}`),
    });
  }
  if (d.keys.length) {
    out.push({ heading: `${plural(d.keys.length, 'key')} allow${d.keys.length === 1 ? 's' : ''} ${d.aliases.length === 1 ? 'it' : 'them'} by name (kept, but matching nothing):`, items: d.keys.map((k) => k.name || k.id) });
  }
  return out;
}
