// Browser end-to-end check of the admin UI against a running Conduit.
//
//   CONDUIT_URL=http://127.0.0.1:18800 CONDUIT_MASTER_KEY=... FAKE_UPSTREAM_URL=http://127.0.0.1:18900/v1 npm run e2e
//
// (scripts/e2e.sh starts bin/fakeopenai and bin/conduit on a temporary data dir and runs this.)
// Logs in; creates a provider (pointing at FAKE_UPSTREAM_URL), a model and a key through the UI;
// chats with streaming through that key and sees the answer's tokens and cost; finds the request
// in Request Logs (live tail) and in Usage; creates a key with a tiny budget, chats with it once
// and sees the budget notification arrive in the bell live (no reload) and on the Notifications
// page; visits every page (screenshots in e2e/screenshots/, light and dark), checks the layout
// at 1024 px; deletes what it created and logs out. Fails on any console error, page error,
// Content-Security-Policy violation or failed request. Without FAKE_UPSTREAM_URL the steps that need an upstream are skipped.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BASE = (process.env.CONDUIT_URL || 'http://127.0.0.1:18800').replace(/\/$/, '');
const MASTER = process.env.CONDUIT_MASTER_KEY;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
const RUN = Date.now().toString(36);
const UPSTREAM = process.env.FAKE_UPSTREAM_URL || '';
const started = Date.now();

const PAGES = [
  ['dashboard', '/'],
  ['chat', '/chat'],
  ['providers', '/providers'],
  ['models', '/models'],
  ['routing', '/routing'],
  ['keys', '/keys'],
  ['costs', '/costs'],
  ['usage', '/usage'],
  ['logs', '/logs'],
  ['notifications', '/notifications'],
  ['system', '/system'],
  ['audit', '/audit'],
  ['settings', '/settings'],
];

if (!MASTER) {
  console.error('e2e: set CONDUIT_MASTER_KEY (and CONDUIT_URL, default http://127.0.0.1:18800)');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`e2e: no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(2);
}
fs.mkdirSync(SHOTS, { recursive: true });
for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png')) fs.rmSync(path.join(SHOTS, f));

const problems = [];
let step = 'start';
/** Statuses tolerated for the current step, e.g. 401 while logged out. */
let expected = [];

function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function tolerated(url, status) {
  const p = pathOf(url);
  return expected.some((e) => e.status === status && (e.path === p || p.startsWith(e.path)));
}

function problem(msg) {
  problems.push(`[${step}] ${msg}`);
  console.error(`  ✗ ${msg}`);
}

function log(msg) {
  console.log(`• ${msg}`);
}

/** Requests that stay open by design: the event stream and streamed chat answers. */
const longLived = (url) => {
  const p = pathOf(url);
  return p === '/admin/events' || p === '/v1/chat/completions';
};

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(20000); // generous: CI machines here have 2 busy cores

// Every Content-Security-Policy violation is a problem: the UI must work under its policy.
await page.exposeFunction('__e2eCSPViolation', (v) => problem(`CSP violation: ${v}`));
await page.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__e2eCSPViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`),
  );
});

const inflight = new Set();
page.on('request', (req) => {
  if (!longLived(req.url())) inflight.add(req);
});
page.on('requestfinished', (req) => inflight.delete(req));
page.on('console', (msg) => {
  if (msg.type() !== 'error') return;
  const url = msg.location()?.url || '';
  const m = /status of (\d{3})/.exec(msg.text());
  if (m && tolerated(url, Number(m[1]))) return;
  problem(`console error: ${msg.text()}${url ? ` (${url})` : ''}`);
});
page.on('pageerror', (err) => problem(`page error: ${err.message}`));
page.on('response', (res) => {
  if (res.status() >= 400 && !tolerated(res.url(), res.status())) {
    problem(`HTTP ${res.status()} ${res.request().method()} ${pathOf(res.url())}`);
  }
});
page.on('requestfailed', (req) => {
  inflight.delete(req);
  const err = req.failure()?.errorText || '';
  // Long-lived streams are cut when the page reloads or the test ends: not a failure.
  if (err.includes('ERR_ABORTED') && longLived(req.url())) return;
  problem(`request failed: ${req.method()} ${pathOf(req.url())} ${err}`);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until no (short-lived) request has been in flight for a moment and nothing shows "loading". */
async function settle(timeout = 15000) {
  const deadline = Date.now() + timeout;
  let quietSince = 0;
  while (Date.now() < deadline) {
    if (inflight.size === 0) {
      if (!quietSince) quietSince = Date.now();
      if (Date.now() - quietSince >= 250) break;
    } else {
      quietSince = 0;
    }
    await sleep(40);
  }
  if (Date.now() >= deadline) problem(`requests still in flight after ${timeout / 1000} s: ${[...inflight].map((r) => pathOf(r.url())).join(', ')}`);
  await page
    .waitForFunction(() => !document.querySelector('[aria-busy="true"]'), null, { timeout: 10000 })
    .catch(() => problem('still loading after 10 s'));
}

/** Client-side navigation (hash change): the app and its event stream stay up. */
async function go(route) {
  await page.evaluate((r) => (window.location.hash = '#' + r), route);
  const pathOnly = route.split('?')[0];
  await page.waitForFunction((p) => document.querySelector(`nav a[aria-current="page"][href="#${p}"]`) && document.querySelector('main h1'), pathOnly);
  await settle();
}

/** Full-page screenshot: the shell normally scrolls inside <main>, so let the page grow for it. */
async function shot(name) {
  // Styles are set through the CSSOM: the UI's Content-Security-Policy refuses inline <style>.
  const tall = !(await page.locator('.chat-page').count()); // the chat page is a fixed-height layout
  const grow = (on) => {
    for (const [sel, prop, val] of [['.shell', 'height', 'auto'], ['.shell', 'min-height', '100vh'], ['main', 'overflow', 'visible']]) {
      for (const el of document.querySelectorAll(sel)) {
        if (on) el.style.setProperty(prop, val, 'important');
        else el.style.removeProperty(prop);
      }
    }
  };
  if (tall) await page.evaluate(grow, true);
  try {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, timeout: 30000 });
  } finally {
    if (tall) await page.evaluate(grow, false);
  }
}

async function run(name, fn) {
  step = name;
  const t0 = Date.now();
  log(name);
  try {
    await fn();
  } catch (e) {
    problem(e instanceof Error ? e.message.split('\n')[0] : String(e));
    await shot(`FAILED-${name.replace(/\W+/g, '-')}`).catch(() => {});
  }
  expected = [];
  const dt = Date.now() - t0;
  if (dt > 8000) log(`  (${(dt / 1000).toFixed(1)} s)`);
}

/** Admin API straight from Node (checks that do not belong to the browser). */
async function admin(pathname) {
  const res = await fetch(BASE + pathname, { headers: { Authorization: `Bearer ${MASTER}` } });
  if (!res.ok) throw new Error(`${pathname}: HTTP ${res.status}`);
  return res.json();
}

/** The Virtual Keys table cell naming a key (name over its prefix). */
const keyCell = (name) => page.locator('td.kname').filter({ has: page.getByText(name, { exact: true }) });

const bellCount = async () => {
  const el = page.getByTestId('bell-count');
  return (await el.count()) ? Number((await el.innerText()).replace('+', '')) : 0;
};

const providerName = `e2e-provider-${RUN}`;
const alias = `e2e-model-${RUN}`;
const keyName = `e2e-key-${RUN}`;
const budgetKeyName = `e2e-budget-${RUN}`;
let createdKey = '';
let budgetKey = '';

await run('login page', async () => {
  expected = [{ path: '/admin/system', status: 401 }, { path: '/admin/login', status: 401 }];
  const res = await page.goto(BASE + '/');
  const h = res.headers();
  for (const [name, want] of [
    ['content-security-policy', "script-src 'self'"],
    ['content-security-policy', "frame-ancestors 'none'"],
    ['x-frame-options', 'DENY'],
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'same-origin'],
  ]) {
    if (!(h[name] || '').includes(want)) problem(`the UI is served without ${name}: ${want} (got ${h[name] || 'none'})`);
  }
  await page.getByLabel('Master key').waitFor();
  await shot('login');
  await page.getByLabel('Master key').fill('definitely-wrong-' + RUN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong master key').waitFor();
  await page.getByLabel('Master key').fill(MASTER);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await settle();
  // The event stream is up: the bell says "Live".
  await page.locator('button[data-live="open"]').waitFor();
});

if (problems.length) {
  await browser.close();
  console.error(`\ne2e FAILED: cannot log in to ${BASE}, stopping.`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}

await run('create provider', async () => {
  await go('/providers');
  await page.getByRole('button', { name: 'Add provider' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add provider' });
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  await dialog.getByText('Name is required').waitFor(); // client-side validation, nothing sent
  await dialog.getByLabel('Name').fill(providerName);
  await dialog.getByLabel('Type').selectOption('openai_compatible');
  await dialog.getByLabel('Base URL').fill(UPSTREAM || 'http://127.0.0.1:9/v1');
  await dialog.getByLabel('API key').fill('sk-e2e-not-a-real-key');
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('cell', { name: providerName, exact: true }).waitFor();
  // A server-side validation error (duplicate name) shows next to its field.
  expected = [{ path: '/admin/providers', status: 400 }];
  await page.getByRole('button', { name: 'Add provider' }).first().click();
  await dialog.getByLabel('Name').fill(providerName);
  await dialog.getByLabel('API key').fill('sk-e2e-not-a-real-key');
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  const nameError = dialog.locator('#p-name-error');
  await nameError.waitFor();
  log(`  server field error shown: "${await nameError.innerText()}"`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  expected = [];
  // Edit: the key stays set when left empty.
  await page.getByRole('button', { name: `Edit ${providerName}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${providerName}` });
  await edit.getByText('A key is stored').waitFor();
  await edit.getByLabel('Timeout (ms)').fill('30000');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  await page.getByRole('row', { name: new RegExp(providerName) }).getByText('set', { exact: true }).waitFor();
  if (UPSTREAM) {
    await page.getByRole('row', { name: new RegExp(providerName) }).getByRole('button', { name: 'Test' }).click();
    const result = page.getByRole('dialog', { name: new RegExp('Connection test') });
    await result.getByText('Connected', { exact: true }).waitFor();
    await shot('provider-test');
    await result.getByRole('button', { name: 'Close' }).last().click();
  }
});

await run('create model', async () => {
  await go('/models');
  await page.getByRole('button', { name: 'Add model' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add model deployment' });
  await dialog.getByLabel('Alias').fill(alias);
  await dialog.getByLabel('Provider', { exact: true }).selectOption({ label: providerName });
  await dialog.getByLabel('Provider model').fill('gpt-4o-mini');
  await dialog.getByLabel('Context window').fill('128000');
  await dialog.getByLabel('Vision').check();
  await shot('model-form');
  await dialog.getByRole('button', { name: 'Add deployment' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: alias }).waitFor();
});

/** Creates a key through the UI and returns its plaintext. */
async function createKey(name, fill) {
  await go('/keys');
  await page.getByRole('button', { name: 'Create key' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create virtual key' });
  await dialog.getByLabel('Name').fill(name);
  await fill(dialog);
  await dialog.getByRole('button', { name: 'Create key' }).click();
  const reveal = page.getByRole('dialog', { name: 'Key created' });
  await reveal.waitFor();
  const key = await reveal.getByLabel(`Key for “${name}”`).inputValue();
  if (!/^condt_[A-Za-z0-9_-]{43}$/.test(key)) problem(`created key has an unexpected format: ${key.slice(0, 12)}…`);
  await reveal.getByText('export OPENAI_API_KEY=').waitFor();
  return { key, reveal };
}

await run('create key', async () => {
  const { key, reveal } = await createKey(keyName, async (dialog) => {
    await dialog.getByLabel('Max budget (USD)').fill('10');
    await dialog.getByLabel('Budget period').selectOption('monthly');
    await dialog.getByLabel('Requests / min').fill('60');
    await dialog.getByLabel('Allowed models').fill(`${alias}, e2e-*`);
    await dialog.getByLabel('Metadata (JSON object)').fill('{"owner": "e2e"}');
  });
  createdKey = key;
  await shot('key-created');
  await reveal.getByRole('button', { name: 'Done' }).click();
  await keyCell(keyName).waitFor();
});

/**
 * Chat page: use `key` (null: the playground, as the signed-in admin), send one message, wait
 * for the answer with its tokens and cost.
 */
async function chatOnce(key, text) {
  await go('/chat');
  if (!(await page.getByLabel('API key').count())) await page.getByRole('button', { name: /^(Change|Use a virtual key)$/ }).click();
  if (key === null) {
    await page.getByRole('button', { name: 'Use the playground' }).click();
    await page.getByText('Playground: you, signed in.').waitFor();
  } else {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();
  }
  await page.locator('#chat-model option', { hasText: alias }).waitFor({ state: 'attached' });
  await page.getByLabel('Model', { exact: true }).selectOption(alias);
  const answers = page.locator('.msg.assistant');
  const before = await answers.count();
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = answers.nth(before);
  await answer.locator('.meta').waitFor({ timeout: 30000 });
  if (await answer.locator('.msg-error').count()) throw new Error(`chat failed: ${await answer.locator('.msg-error').innerText()}`);
  if (!(await answer.locator('.md').innerText()).trim()) throw new Error('empty answer');
  // Tokens from the stream's usage chunk, then the charged cost from the request's log row.
  await answer.locator('.usage', { hasText: /\d+ in · \d+ out · \$/ }).waitFor();
  await answer.locator('.usage:not(:has(.est))').waitFor({ timeout: 15000 });
  return (await answer.locator('.usage').innerText()).trim();
}

if (UPSTREAM) {
  await run('chat (streaming) with the key', async () => {
    const usage = await chatOnce(createdKey, 'Say hello');
    log(`  answer: ${usage}`);
    await shot('chat-answer');
    await page.getByRole('button', { name: 'Copy as code' }).click();
    const code = page.getByRole('dialog', { name: 'Copy as code' });
    await code.getByText(`"model": "${alias}"`).waitFor();
    await code.getByRole('tab', { name: 'Python' }).click();
    await code.getByText('from openai import OpenAI').waitFor();
    await code.getByRole('tab', { name: 'JavaScript' }).click();
    await code.getByText('import OpenAI from "openai";').waitFor();
    await shot('chat-code');
    await code.getByRole('button', { name: 'Close' }).last().click();
    await code.waitFor({ state: 'detached' });
    // An image goes along as a vision content part.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    await page.locator('#chat-file').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png });
    await page.getByAltText('Pending image 1').waitFor();
    await page.getByLabel('Message').fill('What is in this image?');
    const answers = page.locator('.msg.assistant');
    const n = await answers.count();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.msg.user').last().getByAltText('Attached image 1').waitFor();
    await answers.nth(n).locator('.usage').waitFor({ timeout: 30000 });
    if (await answers.nth(n).locator('.msg-error').count()) throw new Error(`vision chat failed: ${await answers.nth(n).locator('.msg-error').innerText()}`);
    // The answer links to its request log.
    await page.locator('.msg.assistant .meta').first().getByRole('link', { name: 'log', exact: true }).click();
    const detail = page.getByRole('dialog', { name: 'Request detail' });
    await detail.getByText('Conduit overhead', { exact: true }).waitFor();
    await settle();
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  await run('request logs: the chat, detail, live tail', async () => {
    await go('/logs');
    const row = page.locator('tbody tr.clickable', { hasText: alias });
    await page.getByRole('button', { name: 'Live tail' }).click();
    await row.first().waitFor({ timeout: 15000 });
    const before = await row.count();
    // A request from outside the browser shows up without a reload.
    const res = await fetch(`${BASE}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${createdKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: alias, messages: [{ role: 'user', content: 'tail me' }] }),
    });
    if (!res.ok) throw new Error(`direct request: HTTP ${res.status}`);
    await page.waitForFunction(([a, n]) => [...document.querySelectorAll('tbody tr.clickable')].filter((r) => r.textContent.includes(a)).length > n, [alias, before], { timeout: 15000 });
    await page.getByRole('button', { name: 'Live tail on' }).click();
    await settle();
    await row.first().click();
    const detail = page.getByRole('dialog', { name: 'Request detail' });
    await detail.getByText('Conduit overhead', { exact: true }).waitFor();
    await detail.getByText('Attempts', { exact: true }).waitFor();
    await detail.locator('.tbar .seg').first().waitFor();
    await settle();
    await shot('log-detail');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  await run('usage shows the request', async () => {
    await go('/usage?group_by=model');
    const cell = page.getByRole('cell', { name: alias, exact: true });
    for (let i = 0; !(await cell.count()); i++) {
      if (i > 20) throw new Error(`${alias} not in Usage by model`);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await settle();
    }
    await shot('usage-model');
  });

  await run('budget notification arrives live', async () => {
    const { key, reveal } = await createKey(budgetKeyName, async (dialog) => {
      await dialog.getByLabel('Max budget (USD)').fill('0.000001');
      await dialog.getByLabel('Allowed models').fill(alias);
    });
    budgetKey = key;
    await reveal.getByRole('button', { name: 'Done' }).click();
    await keyCell(budgetKeyName).waitFor();
    const unreadBefore = await bellCount();
    const loads = [];
    const onLoad = () => loads.push(Date.now());
    page.on('load', onLoad);
    await chatOnce(budgetKey, 'Spend my budget');
    // The bell counts it without a reload, over /admin/events.
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="bell-count"]')?.textContent?.replace('+', '') || 0) > n, unreadBefore, { timeout: 20000 });
    const title = `Key "${budgetKeyName}" reached 100% of its budget`;
    await page.getByRole('status').filter({ hasText: title }).or(page.getByRole('alert').filter({ hasText: title })).first().waitFor(); // the toast
    await page.getByRole('button', { name: /^Notifications, \d+ unread$/ }).click();
    const pop = page.getByRole('dialog', { name: 'Recent notifications' });
    await pop.getByText(title).waitFor();
    await shot('bell-dropdown');
    page.off('load', onLoad);
    if (loads.length) problem('the page reloaded while waiting for the notification');
    // On the Notifications page too, unread; marking it read updates the bell.
    await pop.getByRole('link', { name: 'View all notifications →' }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await settle();
    const item = page.locator('.nlist li', { hasText: title });
    await item.waitFor();
    await page.getByRole('tab', { name: /Unread/ }).click();
    await settle();
    await item.waitFor();
    const n = await bellCount();
    await item.getByRole('button', { name: /Mark .* read/ }).click();
    await page.waitForFunction((c) => Number(document.querySelector('[data-testid="bell-count"]')?.textContent || 0) < c, n);
    await page.getByRole('tab', { name: 'All' }).click();
    await settle();
    await shot('notifications-after');
    // The budget now refuses the key.
    const res = await fetch(`${BASE}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${budgetKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: alias, messages: [{ role: 'user', content: 'again' }] }),
    });
    if (res.status !== 429) problem(`a key past its budget got HTTP ${res.status}, want 429`);
  });
}

for (const [name, route] of PAGES) {
  await run(`page ${name}`, async () => {
    await go(route);
    const h1 = await page.locator('main h1').first().textContent();
    if (!h1) problem('no page heading');
    if (await page.getByText('Could not load').count()) {
      problem(`error state shown: ${(await page.locator('.state.err').first().innerText()).replace(/\s+/g, ' ')}`);
    }
    if (await page.getByText('Not available on this server yet').count()) problem('a section says it is not available on this server');
    await shot(name);
  });
}

await run('dashboard ranges', async () => {
  await go('/');
  for (const r of ['Today', '30 days', '7 days']) {
    await page.getByRole('tab', { name: r }).click();
    await settle();
    if (r === 'Today') await shot('dashboard-today');
  }
  if (UPSTREAM) {
    await page.getByRole('link', { name: alias }).first().waitFor(); // top models
    await page.getByRole('list', { name: 'Provider health' }).getByText(providerName).waitFor();
  }
});

await run('audit log', async () => {
  await go('/audit');
  await page.getByLabel('Resource').selectOption('key');
  await settle();
  const rows = page.locator('tbody tr.clickable');
  await rows.first().waitFor();
  const resources = await page.locator('tbody > tr:not(.expand) > td:nth-child(5)').allInnerTexts();
  if (resources.some((r) => !r.startsWith('key'))) problem(`resource filter shows other resources: ${[...new Set(resources)].join(', ')}`);
  await rows.first().getByRole('button', { name: /Show changes/ }).click();
  await page.locator('table.diff').first().waitFor();
  await shot('audit-diff');
  await page.getByLabel('Resource').selectOption('');
  await settle();
});

if (UPSTREAM) {
  await run('chat through the playground, no key pasted', async () => {
    const usage = await chatOnce(null, 'Say hello');
    log(`  answer: ${usage}`);
    await shot('chat-playground');
    const logs = await admin('/admin/logs?limit=5&key_id=key_playground');
    if (!logs.data.length) problem('the playground chat is not in the request log under key_playground');
    await go('/keys');
    await keyCell('Playground').waitFor();
  });
}

if (UPSTREAM) {
  await run('provider health goes down live', async () => {
    await go('/providers');
    const row = page.getByRole('row', { name: new RegExp(providerName) });
    await row.getByText('up', { exact: true }).waitFor();
    // Break the provider behind the UI's back; the next request fails and the server pushes
    // a provider_health event: the badge turns without a reload.
    const p = (await admin('/admin/providers')).data.find((x) => x.name === providerName);
    const res = await fetch(`${BASE}/admin/providers/${p.id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${MASTER}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ base_url: 'http://127.0.0.1:9/v1' }),
    });
    if (!res.ok) throw new Error(`PATCH provider: HTTP ${res.status}`);
    const chat = await fetch(`${BASE}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${createdKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: alias, messages: [{ role: 'user', content: 'fail' }] }),
    });
    await chat.text();
    if (chat.ok) problem('a request to an unreachable upstream succeeded');
    await row.getByText('down', { exact: true }).waitFor();
    await go('/system');
    await page.getByRole('row', { name: new RegExp(providerName) }).getByText('down', { exact: true }).waitFor();
    await go('/');
    await page.getByRole('list', { name: 'Provider health' }).getByText('down', { exact: true }).waitFor();
    await shot('dashboard-provider-down');
  });
}

await run('layout at 1024px', async () => {
  await page.setViewportSize({ width: 1024, height: 768 });
  for (const [name, route] of PAGES) {
    await go(route);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) problem(`${name}: page is ${overflow}px wider than a 1024px window`);
    const mainOverflow = await page.evaluate(() => {
      const m = document.querySelector('main');
      return m ? m.scrollWidth - m.clientWidth : 0;
    });
    if (mainOverflow > 0) problem(`${name}: content overflows the main area by ${mainOverflow}px`);
    const tables = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')].map((t) => t.scrollWidth - t.clientWidth).filter((x) => x > 1));
    if (tables.length) problem(`${name}: a table scrolls sideways at 1024px (by ${tables.join(', ')}px)`);
    if (['dashboard', 'logs', 'keys', 'chat'].includes(name)) await shot(`${name}-1024`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
});

await run('dark theme', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const [name, route] of PAGES) {
    await go(route);
    await shot(`${name}-dark`);
  }
  await page.getByRole('button', { name: /^Notifications/ }).click();
  await page.getByRole('dialog', { name: 'Recent notifications' }).waitFor();
  await shot('bell-dropdown-dark');
  await page.keyboard.press('Escape');
  await page.emulateMedia({ colorScheme: 'light' });
});

await run('usage and logs filters', async () => {
  await go('/usage');
  for (const g of ['model', 'key', 'provider', 'day']) {
    await page.getByRole('tab', { name: `By ${g}` }).click();
    await settle();
  }
  await go('/logs');
  await page.getByLabel('Status').selectOption('200');
  await settle();
  await page.getByLabel('Status').selectOption('');
  await settle();
});

await run('routing save', async () => {
  await go('/routing');
  await page.getByRole('button', { name: 'Save routing' }).click();
  await page.getByText('Routing saved').waitFor();
});

await run('settings save', async () => {
  await go('/settings');
  await page.getByLabel('Webhook URL').fill('not a url');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Webhook URL must be a full URL').waitFor(); // client-side
  await page.getByLabel('Webhook URL').fill('');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved').waitFor();
});

await run('delete keys, model, provider', async () => {
  await go('/keys');
  for (const name of [keyName, ...(budgetKey ? [budgetKeyName] : [])]) {
    await page.getByRole('button', { name: `Revoke ${name}` }).click();
    await page.getByRole('dialog', { name: 'Revoke key' }).getByRole('button', { name: 'Revoke' }).click();
    await keyCell(name).waitFor({ state: 'detached' });
  }

  await go('/models');
  await page.getByRole('button', { name: `Delete ${alias} → gpt-4o-mini` }).click();
  await page.getByRole('dialog', { name: 'Delete deployment' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: alias }).waitFor({ state: 'detached' });

  await go('/providers');
  await page.getByRole('button', { name: `Delete ${providerName}` }).click();
  await page.getByRole('dialog', { name: 'Delete provider' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('cell', { name: providerName, exact: true }).waitFor({ state: 'detached' });
  const left = await admin('/admin/providers');
  if (left.data.some((p) => p.name === providerName)) problem('the provider is still there after deleting it');
});

await run('system: download a backup', async () => {
  await go('/system');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download backup' }).click()]);
  const file = await dl.path();
  const head = fs.readFileSync(file).subarray(0, 15).toString();
  if (head !== 'SQLite format 3') problem(`the downloaded backup is not a SQLite database (starts with ${JSON.stringify(head)})`);
  if (!/^conduit-backup-\d{8}T\d{6}Z\.db$/.test(dl.suggestedFilename())) problem(`backup file name ${dl.suggestedFilename()}`);
});

await run('logout', async () => {
  expected = [{ path: '/admin/system', status: 401 }];
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Master key').waitFor();
  await page.reload();
  await page.getByLabel('Master key').waitFor();
});

await browser.close();

const secs = ((Date.now() - started) / 1000).toFixed(0);
if (problems.length) {
  console.error(`\ne2e FAILED: ${problems.length} problem(s) against ${BASE} (${secs} s)`);
  for (const p of problems) console.error(`  - ${p}`);
  console.error(`screenshots: ${SHOTS}`);
  process.exit(1);
}
console.log(`\ne2e passed against ${BASE} in ${secs} s; screenshots in ${SHOTS}`);
