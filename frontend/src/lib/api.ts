// The only module that talks to the network. Same-origin relative URLs; the admin API is
// authenticated by the session cookie, /v1 by a bearer key the user types in the Chat page.

import { SSEParser, parseChatEvent, type ChatStreamItem } from './sse';
import type {
  AuditEntry,
  AuditQuery,
  ChatRequest,
  ClientModel,
  Cost,
  CostInput,
  CreatedKey,
  Deployment,
  DeploymentInput,
  Dependents,
  KeyInput,
  LogQuery,
  Notification,
  Page,
  Provider,
  ProviderInput,
  ProviderTestResult,
  ProviderTypeInfo,
  RequestLog,
  RequestLogDetail,
  RouterConfig,
  ServerEvent,
  Settings,
  SystemInfo,
  UsageQuery,
  UsageRow,
  VirtualKey,
} from './types';

/** An error answered by the server (status > 0) or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  /** The request field the server blames (admin API `field`, OpenAI `param`). */
  readonly field: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, field: string | null = null, code: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field;
    this.code = code;
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

let unauthorizedHandler: (() => void) | null = null;

/** Registers what to do when the admin API answers 401 (the session is gone): show the login page. */
export function onUnauthorized(fn: (() => void) | null): void {
  unauthorizedHandler = fn;
}

/** Builds an error from a non-2xx response, reading either error shape the server uses. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* body unreadable: fall back to the status line */
  }
  let message = '';
  let field: string | null = null;
  let code: string | null = null;
  if (text) {
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === 'object' && 'error' in body) {
        const err = (body as { error: unknown }).error;
        if (typeof err === 'string') {
          message = err;
        } else if (err && typeof err === 'object') {
          const e = err as Record<string, unknown>;
          if (typeof e.message === 'string') message = e.message;
          if (typeof e.field === 'string' && e.field) field = e.field;
          else if (typeof e.param === 'string' && e.param) field = e.param;
          if (typeof e.code === 'string' && e.code) code = e.code;
        }
      } else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
        message = (body as { message: string }).message;
      }
    } catch {
      message = text.length > 300 ? text.slice(0, 300) + '…' : text.trim();
    }
  }
  if (!message) message = defaultMessage(res.status, res.statusText);
  return new ApiError(res.status, message, field, code);
}

function defaultMessage(status: number, statusText: string): string {
  switch (status) {
    case 401:
      return 'Not signed in';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not found';
    case 413:
      return 'Request too large';
    case 429:
      return 'Too many requests';
    default:
      return `HTTP ${status}${statusText ? ' ' + statusText : ''}`;
  }
}

interface RequestOptions {
  signal?: AbortSignal;
  /** false for calls where 401 is an ordinary answer (login, /v1) rather than a lost session. */
  sessionGuard?: boolean;
  headers?: Record<string, string>;
}

async function send(method: string, url: string, body: unknown, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal: opts.signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Cannot reach the Conduit server. Check that it is running.');
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401 && opts.sessionGuard !== false && unauthorizedHandler) unauthorizedHandler();
    throw err;
  }
  return res;
}

async function request<T>(method: string, url: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, url, body, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'The server sent a response that is not JSON.');
  }
}

async function list<T>(url: string, opts?: RequestOptions): Promise<T[]> {
  const res = await request<{ data: T[] | null }>('GET', url, undefined, opts);
  return res?.data ?? [];
}

/** Query string from the defined, non-empty values of params ("" when none). */
export function query(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

const enc = encodeURIComponent;

// ---- session ----

export async function login(masterKey: string): Promise<void> {
  try {
    await request<unknown>('POST', '/admin/login', { master_key: masterKey }, { sessionGuard: false });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw new ApiError(401, 'Wrong master key', 'master_key');
    throw e;
  }
}

export async function logout(): Promise<void> {
  await request<unknown>('POST', '/admin/logout', undefined, { sessionGuard: false });
}

export const getSystem = (opts?: RequestOptions) => request<SystemInfo>('GET', '/admin/system', undefined, opts);

// ---- collections: providers, models (deployments), virtual keys, model costs ----

/**
 * The calls of one admin collection at /admin/{name}: list, create (answering Created), update
 * (PATCH: only the fields given change) and remove; `at(id, action)` is the path of a row's
 * sub-resource, for the calls only some collections have.
 */
function collection<T, Input, Created = T>(name: string) {
  const base = `/admin/${name}`;
  const at = (id: string, action = '') => `${base}/${enc(id)}${action && '/' + action}`;
  return {
    at,
    list: () => list<T>(base),
    create: (body: Input) => request<Created>('POST', base, body),
    update: (id: string, body: Input) => request<T>('PATCH', at(id), body),
    remove: (id: string) => request<void>('DELETE', at(id)),
  };
}

/** A collection whose rows others depend on: what deleting one would take with it. */
function withDependents<C extends { at: (id: string, action?: string) => string }>(c: C) {
  return { ...c, dependents: (id: string) => request<Dependents>('GET', c.at(id, 'dependents')) };
}

const providerCalls = collection<Provider, ProviderInput>('providers');
export const providers = {
  ...withDependents(providerCalls),
  test: (id: string) => request<ProviderTestResult>('POST', providerCalls.at(id, 'test')),
};

export const models = withDependents(collection<Deployment, DeploymentInput>('models'));

export const keys = collection<VirtualKey, KeyInput, CreatedKey>('keys');

export const costs = collection<Cost, CostInput>('costs');

// ---- router ----

export const router = {
  get: () => request<RouterConfig>('GET', '/admin/router'),
  put: (r: RouterConfig) => request<RouterConfig>('PUT', '/admin/router', r),
};

// ---- settings ----

export const settings = {
  get: () => request<Settings>('GET', '/admin/settings'),
  update: (s: Partial<Settings>) => request<Settings>('PATCH', '/admin/settings', s),
};

// ---- observability ----

export async function getLogs(q: LogQuery, signal?: AbortSignal): Promise<Page<RequestLog>> {
  const res = await request<{ data: RequestLog[] | null; next?: string | null }>('GET', '/admin/logs' + query(q), undefined, { signal });
  return { data: res?.data ?? [], next: res?.next ?? '' };
}

/** One request log with its bodies (null unless body logging was on). */
export const getLog = (id: string) => request<RequestLogDetail>('GET', `/admin/logs/${enc(id)}`);

/** Provider types this server build supports, with their default base URLs. */
export const getProviderTypes = () => list<ProviderTypeInfo>('/admin/provider-types');

export async function getUsage(q: UsageQuery, signal?: AbortSignal): Promise<UsageRow[]> {
  return list<UsageRow>('/admin/usage' + query(q), { signal });
}

export async function getAudit(q: AuditQuery, signal?: AbortSignal): Promise<Page<AuditEntry>> {
  const res = await request<{ data: AuditEntry[] | null; next?: string | null }>('GET', '/admin/audit' + query(q), undefined, { signal });
  const data = res?.data ?? [];
  // The contract names no cursor for audit: a full page means there may be older entries,
  // fetched with before=<last id> (as for logs).
  const next = res?.next ?? (q.limit && data.length === q.limit ? data[data.length - 1].id : '');
  return { data, next };
}

export const notifications = {
  /** Newest first, with the server's total unread count. */
  list: async (q: { limit?: number; unread?: boolean } = {}, signal?: AbortSignal): Promise<{ data: Notification[]; unread: number }> => {
    const res = await request<{ data: Notification[] | null; unread?: number }>(
      'GET',
      '/admin/notifications' + query({ limit: q.limit, unread: q.unread ? 1 : undefined }),
      undefined,
      { signal },
    );
    const data = res?.data ?? [];
    return { data, unread: typeof res?.unread === 'number' ? res.unread : data.filter((n) => !n.read).length };
  },
  markRead: (id: string) => request<unknown>('POST', `/admin/notifications/${enc(id)}/read`),
  markAllRead: () => request<{ ok: boolean; marked?: number }>('POST', '/admin/notifications/read-all'),
};

/** Reads an SSE response body to its end, calling onEvent for each event. */
async function readEvents(res: Response, onEvent: (ev: ServerEvent) => boolean | void): Promise<void> {
  if (!res.body) throw new ApiError(res.status, 'The server sent no stream.');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      const events = done ? [...parser.push(decoder.decode()), ...parser.end()] : parser.push(decoder.decode(value, { stream: true }));
      for (const ev of events) {
        if (onEvent(ev) === false) {
          await reader.cancel();
          return;
        }
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

// ---- client API (/v1), authenticated by a virtual key or the master key ----

/**
 * PLAYGROUND stands for the built-in playground key where a key is expected: the signed-in
 * admin (session cookie) and the desktop window use /v1 with the X-Conduit-Playground header
 * instead of a key, and the server runs the request as its built-in "Playground" key.
 */
export const PLAYGROUND = 'playground';

/** The id of the built-in key the playground's requests run as. */
export const PLAYGROUND_KEY_ID = 'key_playground';

/** The headers that authenticate a /v1 request made with key (or PLAYGROUND). */
export function clientAuth(key: string): Record<string, string> {
  return key === PLAYGROUND ? { 'X-Conduit-Playground': '1' } : { Authorization: `Bearer ${key}` };
}

export async function listClientModels(key: string, signal?: AbortSignal): Promise<ClientModel[]> {
  return list<ClientModel>('/v1/models', { sessionGuard: false, headers: clientAuth(key), signal });
}

export interface ChatStreamResult {
  requestId: string | null;
  provider: string | null;
  overheadMs: number | null;
}

/**
 * Streams a chat completion, calling onItem for each delta/usage/finish item. Resolves when
 * the stream ends with [DONE]; rejects with ApiError for HTTP errors or an error event, and
 * with an AbortError when signal aborts.
 */
export async function streamChat(
  key: string,
  req: ChatRequest,
  onItem: (item: ChatStreamItem) => void,
  signal?: AbortSignal,
): Promise<ChatStreamResult> {
  const res = await send('POST', '/v1/chat/completions', req, {
    sessionGuard: false,
    headers: { ...clientAuth(key), Accept: 'text/event-stream' },
    signal,
  });
  const result: ChatStreamResult = {
    requestId: res.headers.get('x-request-id'),
    provider: res.headers.get('x-conduit-provider'),
    overheadMs: numHeader(res.headers.get('x-conduit-overhead-ms')),
  };
  let done = false;
  let failure: string | null = null;
  await readEvents(res, (ev) => {
    for (const item of parseChatEvent(ev)) {
      if (item.kind === 'done') {
        done = true;
        return false;
      }
      if (item.kind === 'error') {
        failure = item.message;
        return false;
      }
      onItem(item);
    }
    return true;
  });
  if (failure !== null) throw new ApiError(res.status, failure);
  if (!done) throw new ApiError(res.status, 'The stream ended before [DONE]: the answer may be incomplete.');
  return result;
}

function numHeader(v: string | null): number | null {
  if (v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
