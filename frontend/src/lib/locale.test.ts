import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareText, dateTimeFormat, FALLBACK_LOCALE, numberFormat, pickLocale, relativeTimeFormat, toBCP47 } from './locale';

describe('toBCP47', () => {
  const cases: [string, string | null | undefined, string | null][] = [
    ['C', 'C', null],
    ['POSIX', 'POSIX', null],
    ['C.UTF-8', 'C.UTF-8', null],
    ['c.utf8', 'c.utf8', null],
    ['empty', '', null],
    ['undefined', undefined, null],
    ['null', null, null],
    ['only a codeset', '.UTF-8', null],
    ['POSIX with territory and codeset', 'en_US.UTF-8', 'en-US'],
    ['POSIX with modifier', 'de_DE@euro', 'de-DE'],
    ['POSIX with codeset and modifier', 'sr_RS.UTF-8@latin', 'sr-RS'],
    ['BCP 47 already', 'de-DE', 'de-DE'],
    ['lower-case region', 'pt-br', 'pt-BR'],
    ['language only', 'fr', 'fr'],
    ['malformed', 'x', null],
    ['garbage', '!!', null],
  ];
  it.each(cases)('%s', (_name, input, want) => {
    expect(toBCP47(input)).toBe(want);
  });
});

describe('pickLocale', () => {
  it('takes the first usable preference', () => {
    expect(pickLocale(['C', 'de_DE@euro', 'en-US'])).toBe('de-DE');
  });
  it('falls back when nothing is usable', () => {
    expect(pickLocale(['C', 'POSIX', 'C.UTF-8', '', undefined])).toBe(FALLBACK_LOCALE);
    expect(pickLocale([])).toBe(FALLBACK_LOCALE);
  });
});

describe('formatters under unusable OS locales', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  // Node's Intl throws on these tags just like WebKit's: the formatters must not.
  it.each(['C', 'POSIX', 'C.UTF-8', 'de_DE@euro', '', 'en_US.UTF-8'])('navigator.language = %j', async (lang) => {
    vi.stubGlobal('navigator', { language: lang, languages: [lang] });
    const locale = await import('./locale');
    const format = await import('./format');
    const tag = locale.uiLocale();
    expect(() => Intl.getCanonicalLocales(tag)).not.toThrow();
    expect(locale.numberFormat().format(1234.5)).toMatch(/1.?234/);
    expect(locale.dateTimeFormat({ year: 'numeric', timeZone: 'UTC' }).format(new Date('2026-03-04T05:06:07Z'))).toContain('2026');
    expect(locale.relativeTimeFormat().format(-1, 'day')).not.toBe('');
    expect(locale.compareText('a', 'b')).toBeLessThan(0);
    expect(format.fmtTime('2026-03-04T05:06:07Z')).toContain('2026');
    expect(format.fmtShortTime('2026-03-04T05:06:07Z')).not.toBe('—');
    expect(format.fmtClock('2026-03-04T05:06:07Z')).not.toBe('—');
    expect(format.fmtInt(1234567)).toBe('1,234,567');
  });

  it('keeps a real locale', async () => {
    vi.stubGlobal('navigator', { language: 'de-DE', languages: ['de-DE', 'en-US'] });
    const locale = await import('./locale');
    expect(locale.uiLocale()).toBe('de-DE');
    expect(locale.numberFormat().format(1234.5)).toBe('1.234,5');
  });

  it('maps a POSIX name to its language', async () => {
    vi.stubGlobal('navigator', { language: 'de_DE@euro', languages: [] });
    const locale = await import('./locale');
    expect(locale.uiLocale()).toBe('de-DE');
  });
});

describe('explicit locales', () => {
  it('uses a given valid locale and repairs an invalid one', () => {
    expect(numberFormat(undefined, 'de-DE').format(1.5)).toBe('1,5');
    expect(numberFormat(undefined, 'C').resolvedOptions().locale).toBe('en-US');
    expect(dateTimeFormat({ timeZone: 'UTC' }, 'POSIX').resolvedOptions().locale).toBe('en-US');
    expect(relativeTimeFormat(undefined, 'C.UTF-8').resolvedOptions().locale).toBe('en-US');
  });
  it('compares text', () => {
    expect(['b', 'a', 'C'].sort(compareText)).toEqual(['a', 'b', 'C']);
  });
});

describe('guardNavigatorLocale', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('makes navigator.language a valid tag for libraries that read it', async () => {
    class Navigator {
      get language() {
        return 'C';
      }
      get languages() {
        return ['C', 'de_DE.UTF-8'];
      }
    }
    const nav = new Navigator();
    vi.stubGlobal('Navigator', Navigator);
    vi.stubGlobal('navigator', nav);
    const locale = await import('./locale');
    expect(() => new Intl.NumberFormat(nav.language)).toThrow(RangeError);
    locale.guardNavigatorLocale();
    expect(nav.language).toBe('de-DE');
    expect(nav.languages).toEqual(['de-DE']);
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });
});
