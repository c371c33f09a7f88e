import { describe, expect, it } from 'vitest';
import { NO_LOG_FILTERS, isFiltered, localToISO, logFilterError, logFilterParams, logFilterQuery, parseLogFilters, sameLogFilters } from './logfilters';

describe('log filters', () => {
  it('round-trips through the URL query', () => {
    const f = { ...NO_LOG_FILTERS, key_id: 'key_1', model: ' fake ', errors: true, from: '2026-01-02T03:04', id: 'req_9' };
    const q = new URLSearchParams(logFilterParams(f));
    expect(q.toString()).toBe('key_id=key_1&model=fake&from=2026-01-02T03%3A04&id=req_9&errors=1');
    expect(parseLogFilters(q)).toEqual({ ...f, model: 'fake' });
  });

  it('reads no filters from an empty or foreign query', () => {
    expect(parseLogFilters(new URLSearchParams('x=1&errors=yes'))).toEqual(NO_LOG_FILTERS);
    expect(isFiltered(NO_LOG_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_LOG_FILTERS, errors: true })).toBe(true);
    expect(isFiltered({ ...NO_LOG_FILTERS, model: '  ' })).toBe(false);
  });

  it('compares by what they select', () => {
    expect(sameLogFilters({ ...NO_LOG_FILTERS, model: 'a ' }, { ...NO_LOG_FILTERS, model: 'a' })).toBe(true);
    expect(sameLogFilters({ ...NO_LOG_FILTERS, model: 'a' }, { ...NO_LOG_FILTERS, model: 'ab' })).toBe(false);
  });

  it('asks the API for a substring model match and UTC times', () => {
    const f = { ...NO_LOG_FILTERS, model: 'fake', errors: true, provider_id: 'prov_1', from: '2026-01-02T03:04' };
    const q = logFilterQuery(f);
    expect(q).toMatchObject({ model_contains: 'fake', errors: '1', provider_id: 'prov_1', from: new Date('2026-01-02T03:04').toISOString() });
    expect(q.model).toBeUndefined();
    expect(q.to).toBeUndefined();
  });

  it('refuses a backwards or unreadable time range', () => {
    expect(localToISO('nonsense')).toBe('');
    expect(logFilterError({ ...NO_LOG_FILTERS, from: 'nonsense' })).toBe('From is not a date and time');
    expect(logFilterError({ ...NO_LOG_FILTERS, from: '2026-01-02T10:00', to: '2026-01-02T09:00' })).toBe('From must be before To');
    expect(logFilterError({ ...NO_LOG_FILTERS, from: '2026-01-02T08:00', to: '2026-01-02T09:00' })).toBeNull();
  });
});
