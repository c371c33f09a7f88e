// "Copy as code" for the Chat page: the same request as cURL, Python and JavaScript using the
// official OpenAI SDKs pointed at the gateway. The key is read from OPENAI_API_KEY (the name the
// SDKs read by default, also in the new-key dialog), never pasted into the snippet.

import type { ChatMessage } from './types';

export interface SnippetRequest {
  /** Gateway base URL ending in /v1. */
  baseUrl: string;
  model: string;
  messages: ChatMessage[];
  temperature?: number | null;
  max_tokens?: number | null;
  stream?: boolean;
}

/** The environment variables every snippet and the new-key dialog use, as the OpenAI SDKs read them. */
export const KEY_ENV = 'OPENAI_API_KEY';
export const BASE_URL_ENV = 'OPENAI_BASE_URL';

/** The JSON body the playground sends. */
export function requestBody(r: SnippetRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: r.model, messages: r.messages };
  if (r.temperature != null) body.temperature = r.temperature;
  if (r.max_tokens != null) body.max_tokens = r.max_tokens;
  if (r.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** Single-quotes s for a POSIX shell. */
export function shellQuote(s: string): string {
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

export function curlSnippet(r: SnippetRequest): string {
  const lines = [
    `curl ${r.stream ? '-N ' : ''}${shellQuote(r.baseUrl.replace(/\/$/, '') + '/chat/completions')} \\`,
    `  -H "Authorization: Bearer $${KEY_ENV}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellQuote(JSON.stringify(requestBody(r), null, 2))}`,
  ];
  return lines.join('\n');
}

/** A Python literal for a JSON value (dicts, lists, str, numbers, True/False/None). */
export function pyLiteral(v: unknown, indent = 0): string {
  const pad = (n: number) => '    '.repeat(n);
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'None';
  if (typeof v === 'string') return JSON.stringify(v); // JSON string escapes are valid Python
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => pad(indent + 1) + pyLiteral(x, indent + 1) + ',\n').join('') + pad(indent) + ']';
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return '{\n' + entries.map(([k, x]) => `${pad(indent + 1)}${JSON.stringify(k)}: ${pyLiteral(x, indent + 1)},\n`).join('') + pad(indent) + '}';
  }
  return JSON.stringify(String(v));
}

export function pythonSnippet(r: SnippetRequest): string {
  const body = requestBody(r);
  const args = Object.entries(body)
    .map(([k, v]) => `    ${k}=${pyLiteral(v, 1)},`)
    .join('\n');
  const head = [
    'import os',
    'from openai import OpenAI',
    '',
    'client = OpenAI(',
    `    base_url=${JSON.stringify(r.baseUrl)},`,
    `    api_key=os.environ[${JSON.stringify(KEY_ENV)}],`,
    ')',
    '',
  ];
  if (r.stream) {
    return [
      ...head,
      'stream = client.chat.completions.create(',
      args,
      ')',
      'for chunk in stream:',
      '    if chunk.choices and chunk.choices[0].delta.content:',
      '        print(chunk.choices[0].delta.content, end="", flush=True)',
      '    if chunk.usage:',
      '        print(f"\\n\\n{chunk.usage.prompt_tokens} prompt + {chunk.usage.completion_tokens} completion tokens")',
      '',
    ].join('\n');
  }
  return [...head, 'completion = client.chat.completions.create(', args, ')', 'print(completion.choices[0].message.content)', ''].join('\n');
}

/** A JavaScript object literal: JSON with unquoted identifier keys. */
export function jsLiteral(v: unknown, indent = 0): string {
  const pad = (n: number) => '  '.repeat(n);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => pad(indent + 1) + jsLiteral(x, indent + 1) + ',\n').join('') + pad(indent) + ']';
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
    return '{\n' + entries.map(([k, x]) => `${pad(indent + 1)}${key(k)}: ${jsLiteral(x, indent + 1)},\n`).join('') + pad(indent) + '}';
  }
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

export function jsSnippet(r: SnippetRequest): string {
  const head = [
    'import OpenAI from "openai";',
    '',
    'const client = new OpenAI({',
    `  baseURL: ${JSON.stringify(r.baseUrl)},`,
    `  apiKey: process.env.${KEY_ENV},`,
    '});',
    '',
  ];
  const call = `client.chat.completions.create(${jsLiteral(requestBody(r))})`;
  if (r.stream) {
    return [
      ...head,
      `const stream = await ${call};`,
      'for await (const chunk of stream) {',
      '  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");',
      '  if (chunk.usage) console.log(`\\n\\n${chunk.usage.prompt_tokens} prompt + ${chunk.usage.completion_tokens} completion tokens`);',
      '}',
      '',
    ].join('\n');
  }
  return [...head, `const completion = await ${call};`, 'console.log(completion.choices[0].message.content);', ''].join('\n');
}
