import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, costs, errorFromResponse, getLogs, keys, login, models, notifications, onUnauthorized, providers, query, streamChat, listClientModels } from './api';
import type { ChatStreamItem } from './sse';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let fetchMock: ReturnType<typeof vi.fn>;

beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
  onUnauthorized(null);
});

describe('request basics', () => {
  it('sends same-origin JSON and unwraps list data', async () => {
    fetchMock.mockResolvedValue(json(200, { data: [{ id: 'p1', name: 'OpenAI' }] }));
    const list = await providers.list();
    expect(list).toEqual([{ id: 'p1', name: 'OpenAI' }]);
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('/admin/providers');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBeUndefined();
  });

  it('treats a null list as empty', async () => {
    fetchMock.mockResolvedValue(json(200, { data: null }));
    expect(await keys.list()).toEqual([]);
  });

  it('serialises bodies and escapes ids', async () => {
    fetchMock.mockResolvedValue(json(200, { id: 'a/b' }));
    await providers.update('a/b', { enabled: false });
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('/admin/providers/a%2Fb');
    expect(init.method).toBe('PATCH');
    expect(JSON.parse(init.body as string)).toEqual({ enabled: false });
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it.each([
    ['providers.create', () => providers.create({ name: 'p' }), 'POST', '/admin/providers'],
    ['providers.test', () => providers.test('p 1'), 'POST', '/admin/providers/p%201/test'],
    ['providers.dependents', () => providers.dependents('p1'), 'GET', '/admin/providers/p1/dependents'],
    ['models.update', () => models.update('m1', { weight: 2 }), 'PATCH', '/admin/models/m1'],
    ['models.dependents', () => models.dependents('m/1'), 'GET', '/admin/models/m%2F1/dependents'],
    ['keys.create', () => keys.create({ name: 'k' }), 'POST', '/admin/keys'],
    ['costs.list', () => costs.list(), 'GET', '/admin/costs'],
    ['costs.remove', () => costs.remove('c1'), 'DELETE', '/admin/costs/c1'],
  ])('%s calls %s %s', async (_name, call, method, path) => {
    fetchMock.mockResolvedValue(json(200, { data: [] }));
    await call();
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect([init.method, url]).toEqual([method, path]);
  });

  it('accepts 204 No Content', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    await expect(keys.remove('k1')).resolves.toBeUndefined();
  });

  it('builds query strings without empty values', () => {
    expect(query({ limit: 50, before: undefined, key_id: '', model: 'gpt 4', status: null })).toBe('?limit=50&model=gpt+4');
    expect(query({})).toBe('');
  });

  it('returns logs with the next cursor', async () => {
    fetchMock.mockResolvedValue(json(200, { data: [{ id: 'l1' }], next: 'l1' }));
    const page = await getLogs({ limit: 1, status: '200' });
    expect(page).toEqual({ data: [{ id: 'l1' }], next: 'l1' });
    expect(fetchMock.mock.calls[0][0]).toBe('/admin/logs?limit=1&status=200');
  });
});

describe('errors', () => {
  it('parses the admin field error shape', async () => {
    fetchMock.mockResolvedValue(json(400, { error: { message: 'name is required', field: 'name' } }));
    const err = await providers.create({ type: 'openai' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, message: 'name is required', field: 'name' });
  });

  it('parses the OpenAI error shape (param → field, code)', async () => {
    const res = json(404, { error: { message: 'model x not found', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    const err = await errorFromResponse(res);
    expect(err).toMatchObject({ status: 404, message: 'model x not found', field: 'model', code: 'model_not_found' });
  });

  it('falls back to text or the status for non-JSON bodies', async () => {
    expect((await errorFromResponse(new Response('boom', { status: 500 }))).message).toBe('boom');
    expect((await errorFromResponse(new Response('', { status: 404 }))).message).toBe('Not found');
    expect((await errorFromResponse(new Response('', { status: 502, statusText: 'Bad Gateway' }))).message).toBe('HTTP 502 Bad Gateway');
  });

  it('reports network failures as status 0', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const err = await providers.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0 });
    expect((err as ApiError).message).toMatch(/Cannot reach/);
  });

  it('rethrows aborts unchanged', async () => {
    fetchMock.mockRejectedValue(new DOMException('aborted', 'AbortError'));
    await expect(getLogs({})).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('401 handling', () => {
  it('calls the unauthorized handler for admin calls', async () => {
    const handler = vi.fn();
    onUnauthorized(handler);
    fetchMock.mockResolvedValue(json(401, { error: { message: 'unauthorized' } }));
    await expect(providers.list()).rejects.toMatchObject({ status: 401 });
    expect(handler).toHaveBeenCalledOnce();
  });

  it('does not treat a wrong master key at login as a lost session', async () => {
    const handler = vi.fn();
    onUnauthorized(handler);
    fetchMock.mockResolvedValue(json(401, { error: { message: 'invalid master key' } }));
    await expect(login('nope')).rejects.toMatchObject({ status: 401, message: 'Wrong master key', field: 'master_key' });
    expect(handler).not.toHaveBeenCalled();
    expect(JSON.parse((fetchMock.mock.calls[0][1] as RequestInit).body as string)).toEqual({ master_key: 'nope' });
  });

  it('does not log out on a rejected /v1 key', async () => {
    const handler = vi.fn();
    onUnauthorized(handler);
    fetchMock.mockResolvedValue(json(401, { error: { message: 'invalid api key', code: 'invalid_api_key' } }));
    await expect(listClientModels('condt_x')).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(handler).not.toHaveBeenCalled();
    const init = fetchMock.mock.calls[0][1] as RequestInit;
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer condt_x');
  });
});

function sseResponse(chunks: string[], headers: Record<string, string> = {}): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...headers } });
}

describe('streamChat', () => {
  it('collects deltas split across chunks and ends on [DONE]', async () => {
    fetchMock.mockResolvedValue(
      sseResponse(
        ['data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n', '\ndata: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\nda', 'ta: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n'],
        { 'x-conduit-provider': 'openai-main', 'x-request-id': 'r1' },
      ),
    );
    const items: ChatStreamItem[] = [];
    const res = await streamChat('k', { model: 'm', messages: [], stream: true }, (i) => items.push(i));
    expect(items.filter((i) => i.kind === 'delta').map((i) => (i.kind === 'delta' ? i.text : '')).join('')).toBe('Hello');
    expect(items).toContainEqual({ kind: 'usage', prompt_tokens: 3, completion_tokens: 2 });
    expect(res).toMatchObject({ provider: 'openai-main', requestId: 'r1' });
  });

  it('fails when the stream is cut before [DONE]', async () => {
    fetchMock.mockResolvedValue(sseResponse(['data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n']));
    await expect(streamChat('k', { model: 'm', messages: [], stream: true }, () => {})).rejects.toThrow(/before \[DONE\]/);
  });

  it('surfaces an error event', async () => {
    fetchMock.mockResolvedValue(sseResponse(['data: {"error":{"message":"upstream died","code":"upstream_error"}}\n\n']));
    await expect(streamChat('k', { model: 'm', messages: [], stream: true }, () => {})).rejects.toThrow('upstream died');
  });

  it('surfaces HTTP errors before the stream', async () => {
    fetchMock.mockResolvedValue(json(429, { error: { message: 'rate limit', code: 'rate_limit_exceeded' } }));
    await expect(streamChat('k', { model: 'm', messages: [], stream: true }, () => {})).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
  });
});

describe('notifications', () => {
  it('asks for unread ones and reads the server unread count', async () => {
    fetchMock.mockResolvedValue(json(200, { data: [{ id: 'n1', read: false }], unread: 9 }));
    const res = await notifications.list({ limit: 20, unread: true });
    expect(fetchMock.mock.calls[0][0]).toBe('/admin/notifications?limit=20&unread=1');
    expect(res).toEqual({ data: [{ id: 'n1', read: false }], unread: 9 });
  });

  it('counts unread itself when the server does not say', async () => {
    fetchMock.mockResolvedValue(json(200, { data: [{ id: 'a', read: false }, { id: 'b', read: true }] }));
    expect((await notifications.list()).unread).toBe(1);
    expect(fetchMock.mock.calls[0][0]).toBe('/admin/notifications');
  });

  it('marks read by id', async () => {
    fetchMock.mockResolvedValue(json(200, { ok: true }));
    await notifications.markRead('n/1');
    expect(fetchMock.mock.calls[0][0]).toBe('/admin/notifications/n%2F1/read');
    expect((fetchMock.mock.calls[0][1] as RequestInit).method).toBe('POST');
  });
});

describe('clientAuth', () => {
  it('sends the playground header instead of a key for the playground', async () => {
    const { clientAuth, PLAYGROUND } = await import('./api');
    expect(clientAuth(PLAYGROUND)).toEqual({ 'X-Conduit-Playground': '1' });
    expect(clientAuth('condt_abc')).toEqual({ Authorization: 'Bearer condt_abc' });
  });
});
