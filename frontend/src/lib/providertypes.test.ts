import { describe, expect, it } from 'vitest';
import { typeForm, typeLabel, typeOptions } from './providertypes';
import type { ProviderTypeInfo } from './types';

function info(type: string, over: Partial<ProviderTypeInfo> = {}): ProviderTypeInfo {
  return {
    type,
    label: type.toUpperCase(),
    default_base_url: `https://${type}.example/v1`,
    base_url_hint: '',
    requires_base_url: false,
    api_version: false,
    default_api_version: '',
    api_key_optional: false,
    capabilities: ['chat'],
    supported: true,
    ...over,
  };
}

// What /admin/provider-types sends, with a type only a test registers.
const types: ProviderTypeInfo[] = [
  info('openai', { label: 'OpenAI' }),
  info('azure', { label: 'Azure OpenAI', default_base_url: '', base_url_hint: 'https://<resource>.openai.azure.com', requires_base_url: true, api_version: true, default_api_version: '2024-10-21' }),
  info('ollama', { label: 'Ollama', default_base_url: 'http://127.0.0.1:11434/v1', api_key_optional: true }),
  info('echo_test', { label: 'Echo (test)' }),
];

describe('typeOptions', () => {
  it('offers every type the server lists, in its order, and nothing else', () => {
    expect(typeOptions(types)).toEqual([
      { value: 'openai', label: 'OpenAI' },
      { value: 'azure', label: 'Azure OpenAI' },
      { value: 'ollama', label: 'Ollama' },
      { value: 'echo_test', label: 'Echo (test)' },
    ]);
    expect(typeOptions([])).toEqual([]);
  });
  it('labels a type without a label by its name', () => {
    expect(typeOptions([info('bare', { label: '' })])).toEqual([{ value: 'bare', label: 'bare' }]);
  });
});

describe('typeLabel', () => {
  it('uses the server label, or the type itself', () => {
    expect(typeLabel(types, 'echo_test')).toBe('Echo (test)');
    expect(typeLabel(types, 'bedrock')).toBe('bedrock');
    expect(typeLabel([], 'openai')).toBe('openai');
  });
});

describe('typeForm', () => {
  it('takes required fields and placeholders from the type', () => {
    expect(typeForm(types, 'openai')).toEqual({ placeholder: 'https://openai.example/v1', needsUrl: false, needsKey: true, apiVersion: false, apiVersionHint: '' });
    expect(typeForm(types, 'azure')).toEqual({
      placeholder: 'https://<resource>.openai.azure.com',
      needsUrl: true,
      needsKey: true,
      apiVersion: true,
      apiVersionHint: '2024-10-21',
    });
    expect(typeForm(types, 'ollama')).toMatchObject({ placeholder: 'http://127.0.0.1:11434/v1', needsUrl: false, needsKey: false });
    expect(typeForm(types, 'echo_test')).toMatchObject({ needsUrl: false, needsKey: true, apiVersion: false });
  });
  it('asks for a key and nothing special for a type it does not know', () => {
    expect(typeForm([], 'openai')).toEqual({ placeholder: '', needsUrl: false, needsKey: true, apiVersion: false, apiVersionHint: '' });
  });
});
