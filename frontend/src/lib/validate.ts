// Client-side form validation. Each helper returns an error message or null.

export type Errors = Record<string, string>;

export function required(v: string | null | undefined, label = 'This field'): string | null {
  return v === null || v === undefined || v.trim() === '' ? `${label} is required` : null;
}

/** Parses an optional number field: "" → null; returns NaN for garbage. */
export function parseOptionalNumber(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const s = v.trim();
  if (s === '') return null;
  return Number(s);
}

export function numberField(
  v: string | number | null | undefined,
  opts: { label?: string; min?: number; max?: number; integer?: boolean; optional?: boolean } = {},
): string | null {
  const label = opts.label ?? 'Value';
  const n = parseOptionalNumber(v);
  if (n === null) return opts.optional ? null : `${label} is required`;
  if (!Number.isFinite(n)) return `${label} must be a number`;
  if (opts.integer && !Number.isInteger(n)) return `${label} must be a whole number`;
  if (opts.min !== undefined && n < opts.min) return `${label} must be at least ${opts.min}`;
  if (opts.max !== undefined && n > opts.max) return `${label} must be at most ${opts.max}`;
  return null;
}

export function httpUrl(v: string, opts: { optional?: boolean; label?: string } = {}): string | null {
  const label = opts.label ?? 'URL';
  const s = v.trim();
  if (s === '') return opts.optional ? null : `${label} is required`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return `${label} must be a full URL, e.g. https://example.com`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${label} must start with http:// or https://`;
  return null;
}

/** Aliases and model patterns: letters, digits and . _ - / : @ (+ a trailing * where allowed). */
export function modelName(v: string, opts: { wildcard?: boolean; label?: string } = {}): string | null {
  const label = opts.label ?? 'Name';
  const s = v.trim();
  if (s === '') return `${label} is required`;
  if (/\s/.test(s)) return `${label} must not contain spaces`;
  const star = s.indexOf('*');
  if (star >= 0) {
    if (!opts.wildcard) return `${label} must not contain *`;
  }
  if (!/^[A-Za-z0-9._\-/:@*+]+$/.test(s)) return `${label} may use letters, digits and . _ - / : @`;
  return null;
}

/** allowed_models entries: aliases, optionally ending with a single trailing *. */
export function allowedModels(list: string[]): string | null {
  for (const m of list) {
    if (/\s/.test(m)) return `"${m}" must not contain spaces`;
    const star = m.indexOf('*');
    if (star >= 0 && star !== m.length - 1) return `"${m}": * is only allowed at the end`;
  }
  return null;
}

/** Splits "a, b\nc" into ["a","b","c"], dropping blanks and duplicates. */
export function splitList(v: string): string[] {
  const out: string[] = [];
  for (const part of v.split(/[,\n]/)) {
    const s = part.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Budget alert percents: a list of whole numbers 1–1000. */
export function percentList(v: string): { value: number[]; error: string | null } {
  const parts = splitList(v);
  const value: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return { value: [], error: `"${p}" is not a whole percentage between 1 and 1000` };
    value.push(n);
  }
  value.sort((a, b) => a - b);
  return { value, error: null };
}

/** A JSON object literal (metadata). "" → {}. */
export function jsonObject(v: string): { value: Record<string, unknown>; error: string | null } {
  const s = v.trim();
  if (s === '') return { value: {}, error: null };
  try {
    const parsed = JSON.parse(s) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { value: {}, error: 'Must be a JSON object, e.g. {"team": "search"}' };
    }
    return { value: parsed as Record<string, unknown>, error: null };
  } catch (e) {
    return { value: {}, error: `Invalid JSON: ${(e as Error).message}` };
  }
}

/** Collects the non-null messages of a {field: message|null} map. */
export function collect(checks: Record<string, string | null>): Errors {
  const out: Errors = {};
  for (const [k, v] of Object.entries(checks)) if (v) out[k] = v;
  return out;
}

export function hasErrors(e: Errors): boolean {
  return Object.keys(e).length > 0;
}

/** What bind:value gives for <input type="number">: a number, null when empty (or a string before editing). */
export type NumInput = string | number | null;
