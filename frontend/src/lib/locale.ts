// Locale-safe formatting: every Intl / toLocale* call in the UI goes through here.
//
// The OS hands the web view its locale as a POSIX name ("C", "POSIX", "C.UTF-8",
// "de_DE@euro", empty), and WebKit passes some of them through as navigator.language.
// Intl throws a RangeError on such a tag, which would blank the whole UI, so every tag is
// turned into a valid BCP 47 tag first, falling back to FALLBACK_LOCALE.

/** The tag used when the environment offers no usable one. */
export const FALLBACK_LOCALE = 'en-US';

/**
 * toBCP47 turns a browser or POSIX locale name into a valid BCP 47 tag, or null when it names
 * no language ("C", "POSIX", empty, malformed).
 */
export function toBCP47(name: string | null | undefined): string | null {
  if (!name) return null;
  // POSIX form: language[_territory][.codeset][@modifier]
  const tag = name.trim().replace(/[.@].*$/, '').replace(/_/g, '-');
  if (tag === '' || /^(c|posix)$/i.test(tag)) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? null;
  } catch {
    return null;
  }
}

/** pickLocale returns the first usable tag of the given preferences, else FALLBACK_LOCALE. */
export function pickLocale(prefs: readonly (string | null | undefined)[]): string {
  for (const p of prefs) {
    const tag = toBCP47(p);
    if (tag) return tag;
  }
  return FALLBACK_LOCALE;
}

let cached: string | null = null;

/** The UI's locale: the browser's preferences made safe, computed once. */
export function uiLocale(): string {
  if (cached === null) {
    const nav = (globalThis as { navigator?: { languages?: readonly string[]; language?: string } }).navigator;
    cached = pickLocale([...(nav?.languages ?? []), nav?.language]);
  }
  return cached;
}

/** Runs make with the locale, and with FALLBACK_LOCALE if the locale is refused anyway. */
function build<T>(locale: string | undefined, make: (l: string) => T): T {
  const tag = locale === undefined ? uiLocale() : pickLocale([locale]);
  try {
    return make(tag);
  } catch (e) {
    if (!(e instanceof RangeError) || tag === FALLBACK_LOCALE) throw e;
    return make(FALLBACK_LOCALE);
  }
}

/** Intl.NumberFormat in a safe locale (the UI's unless one is given). */
export function numberFormat(opts?: Intl.NumberFormatOptions, locale?: string): Intl.NumberFormat {
  return build(locale, (l) => new Intl.NumberFormat(l, opts));
}

/** Intl.DateTimeFormat in a safe locale (the UI's unless one is given). */
export function dateTimeFormat(opts?: Intl.DateTimeFormatOptions, locale?: string): Intl.DateTimeFormat {
  return build(locale, (l) => new Intl.DateTimeFormat(l, opts));
}

/** Intl.RelativeTimeFormat in a safe locale (the UI's unless one is given). */
export function relativeTimeFormat(opts?: Intl.RelativeTimeFormatOptions, locale?: string): Intl.RelativeTimeFormat {
  return build(locale, (l) => new Intl.RelativeTimeFormat(l, opts));
}

let collator: Intl.Collator | null = null;

/** compareText orders strings for display (a locale-safe localeCompare). */
export function compareText(a: string, b: string): number {
  collator ??= build(undefined, (l) => new Intl.Collator(l));
  return collator.compare(a, b);
}

/**
 * guardNavigatorLocale makes navigator.language and navigator.languages report safe tags, for
 * libraries that hand them to Intl themselves (uPlot does at load time). It must run before
 * those libraries are evaluated.
 */
export function guardNavigatorLocale(): void {
  const proto = (globalThis as { Navigator?: { prototype: object } }).Navigator?.prototype;
  if (!proto) return;
  const safe = uiLocale();
  const nav = (globalThis as { navigator?: { languages?: readonly string[] } }).navigator;
  const mapped = (nav?.languages ?? []).map(toBCP47).filter((t): t is string => t !== null);
  const langs = Object.freeze([...new Set([safe, ...mapped])]);
  try {
    Object.defineProperty(proto, 'language', { configurable: true, get: () => safe });
    Object.defineProperty(proto, 'languages', { configurable: true, get: () => langs });
  } catch {
    // A browser that refuses the override gives usable tags anyway.
  }
}
