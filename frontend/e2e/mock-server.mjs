// Development mock of the Conduit admin + /v1 API (SPEC §3), serving dist/ at /.
// Not the real thing: the real target is the Go server. Usage:
//   node e2e/mock-server.mjs [--port 18801]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1] || 0) || 18801;
// Live event stream clients (/admin/events) and the last event id.
const streams = new Set();
const keyIds = new Map(); // plaintext key -> key id
let eventId = Date.now() * 1000;
function publish(kind, data) {
  eventId++;
  for (const res of streams) res.write(`id: ${eventId}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
}
function notify(n) {
  const row = { id: id(), time: now(), read: false, ...n };
  db.notifications.unshift(row);
  publish('notification', row);
}
const MASTER = process.env.CONDUIT_MASTER_KEY || 'mock-master-key';
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const id = () => crypto.randomBytes(6).toString('hex');
const sessions = new Set();
const db = {
  providers: [],
  models: [],
  keys: [],
  costs: [
    { id: 'default:gpt-4o', model_pattern: 'gpt-4o', input_per_mtok: 2.5, output_per_mtok: 10, cached_input_per_mtok: 1.25, per_image: null, source: 'default' },
    { id: 'default:gpt-4o-mini', model_pattern: 'gpt-4o-mini', input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075, per_image: null, source: 'default' },
    { id: 'default:claude-sonnet-4*', model_pattern: 'claude-sonnet-4*', input_per_mtok: 3, output_per_mtok: 15, cached_input_per_mtok: 0.3, per_image: null, source: 'default' },
  ],
  router: { strategy: 'simple', max_retries: 3, retry_base_ms: 500, retry_max_ms: 10000, cooldown_after_failures: 3, cooldown_s: 30, health_check_interval_s: 60, fallbacks: {}, context_window_fallbacks: {}, first_token_timeout_ms: 0, stream_idle_timeout_ms: 120000 },
  settings: { notify_desktop: true, notify_webhook_url: '', budget_alert_percents: [50, 80, 100], expiry_warning_days: 7, log_bodies: false, log_retention_days: 30, autostart: false },
  logs: [],
  notifications: [{ id: id(), type: 'system', severity: 'info', title: 'Conduit started', body: 'First start: a master key was generated.', time: now(), read: false }],
  audit: [],
};
const started = Date.now();

// Some sample traffic so the usage pages have something to draw.
for (let i = 0; i < 120; i++) {
  const t = new Date(Date.now() - Math.random() * 10 * 86400e3);
  const ok = Math.random() > 0.1;
  db.logs.push({
    id: id(), time: t.toISOString().replace(/\.\d{3}Z$/, 'Z'), key_id: 'k-sample', alias: ['gpt-4o', 'claude'][i % 2], provider_id: 'p-sample',
    provider_model: ['gpt-4o-2024-08-06', 'claude-sonnet-4-5'][i % 2], status: ok ? 200 : 502, error_code: ok ? '' : 'upstream_error',
    latency_ms: 300 + Math.random() * 2000, ttfb_ms: 200 + Math.random() * 300, overhead_ms: Math.random() * 2, prompt_tokens: Math.floor(Math.random() * 2000),
    completion_tokens: Math.floor(Math.random() * 800), cost: ok ? Math.random() * 0.02 : 0, stream: i % 3 === 0, attempts: ok ? 1 : 3, client_ip: '127.0.0.1',
  });
}
db.logs.sort((a, b) => b.time.localeCompare(a.time));

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}
const fail = (res, status, message, field) => send(res, status, { error: field ? { message, field } : { message } });

function readBody(req) {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => {
      try {
        resolve(s ? JSON.parse(s) : {});
      } catch {
        resolve(null);
      }
    });
  });
}

// The session cookie is named for the port the browser reached the server on, as Conduit's is.
const sessionCookie = `conduit_session_${port}`;

function authed(req) {
  const cookie = (req.headers.cookie || '').split(/;\s*/).find((c) => c.startsWith(`${sessionCookie}=`));
  if (cookie && sessions.has(cookie.split('=')[1])) return true;
  const auth = req.headers.authorization || '';
  return auth === `Bearer ${MASTER}` || req.headers['x-api-key'] === MASTER;
}

function audit(action, resource, resource_id, before, after) {
  db.audit.unshift({ id: id(), time: now(), actor: 'session', client_ip: '127.0.0.1', action, resource, resource_id, changes: { before, after } });
}

// GET /admin/provider-types as the real server answers it (the UI lists no type by itself).
const providerTypeInfos = [
  ['openai', 'OpenAI', 'https://api.openai.com/v1'],
  ['azure', 'Azure OpenAI', '', { base_url_hint: 'https://<resource>.openai.azure.com', api_version: true, default_api_version: '2024-10-21' }],
  ['groq', 'Groq', 'https://api.groq.com/openai/v1'],
  ['mistral', 'Mistral', 'https://api.mistral.ai/v1'],
  ['openrouter', 'OpenRouter', 'https://openrouter.ai/api/v1'],
  ['ollama', 'Ollama', 'http://127.0.0.1:11434/v1', { api_key_optional: true }],
  ['openai_compatible', 'OpenAI-compatible', '', { base_url_hint: 'https://host/v1', api_key_optional: true }],
  ['anthropic', 'Anthropic', 'https://api.anthropic.com'],
  ['gemini', 'Google Gemini', 'https://generativelanguage.googleapis.com/v1beta'],
  ['cohere', 'Cohere', 'https://api.cohere.com/v2'],
].map(([type, label, url, more = {}]) => ({
  type, label, default_base_url: url, base_url_hint: '', requires_base_url: url === '', api_version: false,
  default_api_version: '', api_key_optional: false, capabilities: ['chat'], supported: true, ...more,
}));
const providerTypes = providerTypeInfos.map((t) => t.type);

function validateProvider(b, creating) {
  if (creating && !b.name) return ['name is required', 'name'];
  if (b.name !== undefined && !String(b.name).trim()) return ['name is required', 'name'];
  if (creating && !providerTypes.includes(b.type)) return ['unknown type', 'type'];
  if (db.providers.some((p) => p.name === b.name && p.id !== b.id)) return ['a provider with this name exists', 'name'];
  return null;
}

function stripProvider(p) {
  const { api_key, ...rest } = p;
  return { ...rest, api_key_set: !!api_key };
}

function crud(name, { validate, strip = (x) => x, defaults = {} }) {
  return async (req, res, parts) => {
    const list = db[name];
    const rid = parts[2] ? decodeURIComponent(parts[2]) : null;
    if (!rid) {
      if (req.method === 'GET') return send(res, 200, { data: list.map(strip) });
      if (req.method === 'POST') {
        const b = await readBody(req);
        if (!b) return fail(res, 400, 'malformed JSON');
        const err = validate(b, true);
        if (err) return fail(res, 400, err[0], err[1]);
        const row = { ...defaults, ...b, id: id(), created_at: now(), updated_at: now() };
        list.push(row);
        audit('create', name, row.id, null, strip(row));
        return send(res, 201, strip(row));
      }
      return fail(res, 405, 'method not allowed');
    }
    const row = list.find((r) => r.id === rid);
    if (!row) return fail(res, 404, 'not found');
    if (req.method === 'GET') return send(res, 200, strip(row));
    if (req.method === 'PATCH') {
      const b = await readBody(req);
      if (!b) return fail(res, 400, 'malformed JSON');
      const err = validate({ ...b, id: rid }, false);
      if (err) return fail(res, 400, err[0], err[1]);
      const before = strip({ ...row });
      Object.assign(row, b, { updated_at: now() });
      audit('update', name, rid, before, strip(row));
      return send(res, 200, strip(row));
    }
    if (req.method === 'DELETE') {
      list.splice(list.indexOf(row), 1);
      audit('delete', name, rid, strip(row), null);
      res.writeHead(204);
      return res.end();
    }
    return fail(res, 405, 'method not allowed');
  };
}

const routes = {
  providers: crud('providers', { validate: validateProvider, strip: stripProvider, defaults: { base_url: '', api_version: '', enabled: true, timeout_ms: 60000 } }),
  models: crud('models', {
    validate: (b, c) => {
      if (c && !b.alias) return ['alias is required', 'alias'];
      if (c && !db.providers.some((p) => p.id === b.provider_id)) return ['unknown provider', 'provider_id'];
      if (c && !b.provider_model) return ['provider_model is required', 'provider_model'];
      return null;
    },
    defaults: { weight: 1, priority: 0, supports_vision: false, supports_tools: false, supports_streaming: true, supports_embeddings: false, context_window: 0, supports_prefill: false, first_token_timeout_ms: null, stream_idle_timeout_ms: null, enabled: true },
  }),
  keys: crud('keys', {
    validate: (b, c) => (c && !b.name ? ['name is required', 'name'] : b.budget_duration && !['total', 'daily', 'weekly', 'monthly'].includes(b.budget_duration) ? ['bad duration', 'budget_duration'] : null),
    defaults: { max_budget: null, budget_duration: 'total', rpm: null, rpd: null, tpm: null, allowed_models: [], expires_at: null, enabled: true, metadata: {}, spend: 0, budget_reset_at: null },
  }),
  costs: crud('costs', {
    validate: (b, c) => (c && !b.model_pattern ? ['model_pattern is required', 'model_pattern'] : null),
    defaults: { source: 'custom', cached_input_per_mtok: null, per_image: null },
  }),
};

function usage(q) {
  const from = q.get('from') || '0000';
  const to = q.get('to') || '9999';
  const by = q.get('group_by') || 'day';
  const groups = new Map();
  for (const l of db.logs) {
    if (l.time < from || l.time > to) continue;
    const k = by === 'day' ? l.time.slice(0, 10) : by === 'model' ? l.alias : by === 'key' ? l.key_id : l.provider_id;
    const g = groups.get(k) || { key: k, requests: 0, prompt_tokens: 0, completion_tokens: 0, cost: 0, errors: 0, lat: [] };
    g.requests++;
    g.prompt_tokens += l.prompt_tokens;
    g.completion_tokens += l.completion_tokens;
    g.cost += l.cost;
    if (l.status >= 400) g.errors++;
    g.lat.push(l.latency_ms);
    groups.set(k, g);
  }
  return [...groups.values()].map(({ lat, ...g }) => {
    lat.sort((a, b) => a - b);
    return { ...g, p50_ms: lat[Math.floor(lat.length * 0.5)] ?? 0, p95_ms: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.95))] ?? 0 };
  });
}

function page(list, q) {
  const limit = Math.min(500, Number(q.get('limit')) || 50);
  let start = 0;
  const before = q.get('before');
  if (before) start = list.findIndex((r) => r.id === before) + 1;
  const data = list.slice(start, start + limit);
  return { data, next: start + limit < list.length ? data[data.length - 1].id : '' };
}

async function admin(req, res, url) {
  const parts = url.pathname.split('/').filter(Boolean); // ['admin', resource, id, action]
  const r = parts[1];
  if (r === 'login' && req.method === 'POST') {
    const b = await readBody(req);
    if (!b || b.master_key !== MASTER) {
      audit('login_failed', 'session', '', null, null);
      return fail(res, 401, 'invalid master key');
    }
    const s = crypto.randomBytes(16).toString('hex');
    sessions.add(s);
    audit('login', 'session', '', null, null);
    return send(res, 200, { ok: true }, { 'Set-Cookie': `${sessionCookie}=${s}; Path=/; HttpOnly; SameSite=Strict` });
  }
  if (r === 'logout' && req.method === 'POST') {
    return send(res, 200, { ok: true }, { 'Set-Cookie': `${sessionCookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict` });
  }
  if (!authed(req)) return fail(res, 401, 'unauthorized');
  const q = url.searchParams;
  switch (r) {
    case 'system':
      return send(res, 200, {
        version: '0.1.0-mock', uptime_s: (Date.now() - started) / 1000, mode: 'headless', db_path: '/tmp/mock/conduit.db', db_bytes: 245760, secrets_backend: 'file',
        counts: { providers: db.providers.length, models: db.models.length, keys: db.keys.length, costs: db.costs.length, request_logs: db.logs.length },
        providers: db.providers.map((p) => ({ id: p.id, name: p.name, type: p.type, enabled: p.enabled, status: p.name.includes('down') ? 'down' : 'up', last_error: p.name.includes('down') ? 'dial tcp: connection refused' : '', latency_ms: 120 })),
      });
    case 'provider-types':
      return send(res, 200, { data: providerTypeInfos });
    case 'providers':
      if (parts[3] === 'test' && req.method === 'POST') {
        const p = db.providers.find((x) => x.id === parts[2]);
        if (!p) return fail(res, 404, 'not found');
        return send(res, 200, { ok: true, message: 'Listed 3 models', latency_ms: 142, models: ['gpt-4o', 'gpt-4o-mini', 'o3-mini'] });
      }
      return routes.providers(req, res, parts);
    case 'models':
      return routes.models(req, res, parts);
    case 'costs':
      if (parts[2]?.startsWith('default:') && req.method !== 'GET') return fail(res, 400, 'default prices are read-only', 'id');
      return routes.costs(req, res, parts);
    case 'keys':
      if (req.method === 'POST' && !parts[2]) {
        const b = await readBody(req);
        if (!b || !b.name) return fail(res, 400, 'name is required', 'name');
        if (db.keys.some((k) => k.name === b.name)) return fail(res, 400, 'a key with this name exists', 'name');
        const key = 'condt_' + crypto.randomBytes(32).toString('base64url');
        const row = { max_budget: null, budget_duration: 'total', rpm: null, rpd: null, tpm: null, allowed_models: [], expires_at: null, enabled: true, metadata: {}, ...b, id: id(), key_prefix: key.slice(0, 12), spend: 0, budget_reset_at: null, created_at: now(), updated_at: now() };
        db.keys.push(row);
        keyIds.set(key, row.id);
        audit('create', 'keys', row.id, null, row);
        return send(res, 201, { ...row, key });
      }
      return routes.keys(req, res, parts);
    case 'router':
      if (req.method === 'GET') return send(res, 200, db.router);
      if (req.method === 'PUT') {
        const b = await readBody(req);
        if (!b || !['simple', 'random', 'round_robin', 'weighted', 'least_latency', 'least_cost'].includes(b.strategy)) return fail(res, 400, 'unknown strategy', 'strategy');
        audit('update', 'router', '', db.router, b);
        db.router = b;
        return send(res, 200, db.router);
      }
      break;
    case 'settings':
      if (req.method === 'GET') return send(res, 200, db.settings);
      if (req.method === 'PATCH') {
        const b = await readBody(req);
        if (b?.notify_webhook_url && !/^https?:\/\//.test(b.notify_webhook_url)) return fail(res, 400, 'must be an http(s) URL', 'notify_webhook_url');
        audit('update', 'settings', '', { ...db.settings }, b);
        Object.assign(db.settings, b);
        return send(res, 200, db.settings);
      }
      break;
    case 'logs': {
      if (parts[2]) {
        const row = db.logs.find((l) => l.id === parts[2]);
        return row ? send(res, 200, { ...row, request_body: null, response_body: null }) : fail(res, 404, 'request log not found');
      }
      let list = db.logs;
      if (q.get('key_id')) list = list.filter((l) => l.key_id === q.get('key_id'));
      if (q.get('model')) list = list.filter((l) => l.alias === q.get('model'));
      if (q.get('status')) list = list.filter((l) => String(l.status) === q.get('status'));
      return send(res, 200, page(list, q));
    }
    case 'usage':
      return send(res, 200, { data: usage(q) });
    case 'audit': {
      let list = db.audit;
      if (q.get('resource')) list = list.filter((a) => a.resource === q.get('resource'));
      return send(res, 200, page(list, q));
    }
    case 'notifications':
      if (req.method === 'GET' && !parts[2]) {
        const unread = db.notifications.filter((n) => !n.read).length;
        let list = q.get('unread') === '1' ? db.notifications.filter((n) => !n.read) : db.notifications;
        list = list.slice(0, Number(q.get('limit')) || 50);
        return send(res, 200, { data: list, unread });
      }
      if (req.method === 'POST' && parts[2] === 'read-all') {
        const marked = db.notifications.filter((n) => !n.read).length;
        db.notifications.forEach((n) => (n.read = true));
        return send(res, 200, { ok: true, marked });
      }
      if (req.method === 'POST' && parts[3] === 'read') {
        const n = db.notifications.find((x) => x.id === parts[2]);
        if (!n) return fail(res, 404, 'notification not found');
        n.read = true;
        return send(res, 200, { ok: true });
      }
      break;
    case 'events': {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write('retry: 3000\n: connected\n\n');
      streams.add(res);
      const t = setInterval(() => res.write(': ping\n\n'), 15000);
      req.on('close', () => {
        clearInterval(t);
        streams.delete(res);
      });
      return;
    }
  }
  return fail(res, 404, 'not found');
}

/** Logs a request, charges its key and raises the budget notification, like the real server. */
function charge(requestId, auth, alias, pt, ct) {
  const key = db.keys.find((k) => k.id === keyIds.get(auth));
  const cost = (pt * 0.15 + ct * 0.6) / 1e6;
  db.logs.unshift({
    id: requestId, time: now(), key_id: key?.id ?? '', alias, provider_id: db.models.find((m) => m.alias === alias)?.provider_id ?? '',
    provider_model: db.models.find((m) => m.alias === alias)?.provider_model ?? '', status: 200, error_code: '', latency_ms: 40, ttfb_ms: 10,
    overhead_ms: 0.3, prompt_tokens: pt, completion_tokens: ct, cost, stream: true, attempts: 1, client_ip: '127.0.0.1',
  });
  if (!key) return;
  const before = key.spend;
  key.spend += cost;
  publish('key_spend', { key_id: key.id, spend: key.spend, max_budget: key.max_budget });
  if (key.max_budget && before < key.max_budget && key.spend >= key.max_budget) {
    notify({ type: 'budget', severity: 'critical', title: `Key "${key.name}" reached 100% of its budget`, body: `Key "${key.name}" (${key.id}) has spent its budget.`, key_id: key.id });
  }
}

async function v1(req, res, url) {
  const auth = (req.headers.authorization || '').replace(/^Bearer /, '');
  if (auth !== MASTER && !auth.startsWith('condt_')) return send(res, 401, { error: { message: 'invalid api key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
  if (url.pathname === '/v1/models') {
    const aliases = [...new Set(db.models.map((m) => m.alias))];
    return send(res, 200, { object: 'list', data: aliases.map((a) => ({ id: a, object: 'model', created: 0, owned_by: 'conduit' })) });
  }
  if (url.pathname === '/v1/chat/completions' && req.method === 'POST') {
    const b = await readBody(req);
    if (!db.models.some((m) => m.alias === b?.model)) return send(res, 404, { error: { message: `model ${b?.model} not found`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    const last = b.messages[b.messages.length - 1];
    const text = typeof last.content === 'string' ? last.content : last.content.map((p) => (p.type === 'text' ? p.text : '[image]')).join(' ');
    const answer = `You said: **${text}**\n\n\`\`\`js\nconsole.log("hi")\n\`\`\`\n\n<img src=x onerror=alert(1)>`;
    const requestId = id();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'x-request-id': requestId, 'x-conduit-provider': 'mock' });
    const tokens = answer.match(/.{1,6}/gs);
    let i = 0;
    const t = setInterval(() => {
      if (i < tokens.length) {
        res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: b.model, choices: [{ index: 0, delta: { content: tokens[i++] }, finish_reason: null }] })}\n\n`);
      } else {
        clearInterval(t);
        res.write(`data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
        res.write(`data: ${JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 12, completion_tokens: tokens.length } })}\n\n`);
        res.write('data: [DONE]\n\n');
        res.end();
        charge(requestId, auth, b.model, 12, tokens.length);
      }
    }, 30);
    req.on('close', () => clearInterval(t));
    return;
  }
  return send(res, 404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: 'not_found' } });
}

const mime = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    try {
      if (url.pathname.startsWith('/admin/')) return await admin(req, res, url);
      if (url.pathname.startsWith('/v1/')) return await v1(req, res, url);
      if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
      let file = path.join(dist, path.normalize(url.pathname));
      if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, 'index.html');
      res.writeHead(200, { 'Content-Type': mime[path.extname(file)] || 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
    } catch (e) {
      fail(res, 500, String(e));
    }
  })
  .listen(port, '127.0.0.1', () => console.log(`mock conduit on http://127.0.0.1:${port} (master key ${MASTER})`));
