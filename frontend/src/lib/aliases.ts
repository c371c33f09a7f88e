// Model aliases as references: what a key's allowed models or a fallback may name, how a
// trailing-* pattern previews against the aliases that exist, and the picker's options.

/** Whether name is a pattern: a trailing * matches any suffix ("gpt-*"; "*" alone: all). */
export function isPattern(name: string): boolean {
  return name.endsWith('*');
}

/** The aliases a name selects: a pattern's prefix matches, else the alias itself if it exists. */
export function matchesOf(name: string, aliases: readonly string[]): string[] {
  if (!isPattern(name)) return aliases.includes(name) ? [name] : [];
  const prefix = name.slice(0, -1);
  return aliases.filter((a) => a.startsWith(prefix));
}

/** One option of the alias picker: an alias, or the typed pattern with what it matches. */
export interface AliasOption {
  value: string;
  pattern: boolean;
  matches: string[];
}

/**
 * The picker's options for what is typed: the typed pattern first (when patterns are allowed
 * and it ends in *), then the known aliases containing the text (prefix matches first), less
 * those already chosen.
 */
export function aliasOptions(query: string, aliases: readonly string[], chosen: readonly string[], opts: { patterns?: boolean; limit?: number } = {}): AliasOption[] {
  const q = query.trim();
  const out: AliasOption[] = [];
  if (opts.patterns && isPattern(q) && !chosen.includes(q) && !/\s/.test(q) && q.indexOf('*') === q.length - 1) {
    out.push({ value: q, pattern: true, matches: matchesOf(q, aliases) });
  }
  const needle = q.replace(/\*$/, '').toLowerCase();
  const hits = aliases.filter((a) => !chosen.includes(a) && a.toLowerCase().includes(needle));
  hits.sort((a, b) => Number(!a.toLowerCase().startsWith(needle)) - Number(!b.toLowerCase().startsWith(needle)) || a.localeCompare(b));
  for (const a of hits.slice(0, opts.limit ?? 50)) out.push({ value: a, pattern: false, matches: [a] });
  return out;
}

/** Optimal-string-alignment distance: a swap of neighbours ("gtp" for "gpt") counts 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Why name cannot be chosen (null: it can): it names no alias, and is not a pattern when
 * patterns are allowed. Suggests the closest alias, as the server does.
 */
export function aliasProblem(name: string, aliases: readonly string[], opts: { patterns?: boolean } = {}): string | null {
  if (!name) return null;
  if (/\s/.test(name)) return `“${name}” must not contain spaces`;
  if (name.includes('*')) {
    if (!opts.patterns) return 'Pick an alias: patterns are not allowed here';
    return name.indexOf('*') === name.length - 1 ? null : `“${name}”: * is only allowed at the end`;
  }
  if (aliases.includes(name)) return null;
  let best = '';
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const a of aliases) {
    const dist = editDistance(name.toLowerCase(), a.toLowerCase());
    if (dist < bestD || (dist === bestD && a < best)) [best, bestD] = [a, dist];
  }
  if (best) return `No alias is named “${name}”; did you mean “${best}”?`;
  return aliases.length ? `No alias is named “${name}”` : `No alias is named “${name}” (there are no models yet)`;
}
