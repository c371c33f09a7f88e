import { describe, expect, it } from 'vitest';
import { allowedModels, collect, hasErrors, httpUrl, jsonObject, modelName, numberField, parseOptionalNumber, percentList, required, splitList } from './validate';

describe('validation helpers', () => {
  it('required', () => {
    expect(required('', 'Name')).toBe('Name is required');
    expect(required('  ', 'Name')).toBe('Name is required');
    expect(required('x')).toBeNull();
  });

  it('parseOptionalNumber accepts what number inputs give', () => {
    expect(parseOptionalNumber('')).toBeNull();
    expect(parseOptionalNumber(null)).toBeNull();
    expect(parseOptionalNumber(' 12.5 ')).toBe(12.5);
    expect(parseOptionalNumber(3)).toBe(3);
    expect(parseOptionalNumber('abc')).toBeNaN();
  });

  it('numberField', () => {
    expect(numberField('', { label: 'RPM', optional: true })).toBeNull();
    expect(numberField(null, { label: 'RPM' })).toBe('RPM is required');
    expect(numberField('x', { label: 'RPM' })).toBe('RPM must be a number');
    expect(numberField(1.5, { label: 'RPM', integer: true })).toBe('RPM must be a whole number');
    expect(numberField(0, { label: 'RPM', min: 1 })).toBe('RPM must be at least 1');
    expect(numberField('5', { label: 'RPM', max: 4 })).toBe('RPM must be at most 4');
    expect(numberField(60, { min: 1, integer: true })).toBeNull();
  });

  it('httpUrl', () => {
    expect(httpUrl('', { optional: true })).toBeNull();
    expect(httpUrl('', { label: 'Base URL' })).toBe('Base URL is required');
    expect(httpUrl('localhost:11434')).toMatch(/must (be a full URL|start with http)/);
    expect(httpUrl('ftp://x.org')).toMatch(/http/);
    expect(httpUrl('https://api.openai.com/v1')).toBeNull();
  });

  it('modelName', () => {
    expect(modelName('gpt-4o')).toBeNull();
    expect(modelName('meta-llama/Llama-3.1-8B:free')).toBeNull();
    expect(modelName('gpt 4')).toMatch(/spaces/);
    expect(modelName('gpt-4*')).toMatch(/\*/);
    expect(modelName('gpt-4*', { wildcard: true })).toBeNull();
    expect(modelName('')).toMatch(/required/);
  });

  it('allowedModels accepts only a trailing wildcard', () => {
    expect(allowedModels(['gpt-4o', 'claude-*'])).toBeNull();
    expect(allowedModels(['*'])).toBeNull();
    expect(allowedModels(['gp*t'])).toMatch(/only allowed at the end/);
  });

  it('splitList trims, splits on commas/newlines and dedupes', () => {
    expect(splitList(' a, b\nc,,a ')).toEqual(['a', 'b', 'c']);
    expect(splitList('')).toEqual([]);
  });

  it('percentList', () => {
    expect(percentList('100, 50,80')).toEqual({ value: [50, 80, 100], error: null });
    expect(percentList('').value).toEqual([]);
    expect(percentList('50, 0').error).toMatch(/"0"/);
    expect(percentList('fifty').error).toMatch(/fifty/);
  });

  it('jsonObject', () => {
    expect(jsonObject('')).toEqual({ value: {}, error: null });
    expect(jsonObject('{"team":"x"}')).toEqual({ value: { team: 'x' }, error: null });
    expect(jsonObject('[1]').error).toMatch(/object/);
    expect(jsonObject('{bad').error).toMatch(/Invalid JSON/);
  });

  it('collect / hasErrors', () => {
    const e = collect({ a: null, b: 'bad' });
    expect(e).toEqual({ b: 'bad' });
    expect(hasErrors(e)).toBe(true);
    expect(hasErrors({})).toBe(false);
  });
});
