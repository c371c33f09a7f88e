// Browser end-to-end check of the admin UI against a running Conduit.
//
//   CONDUIT_URL=http://127.0.0.1:18800 CONDUIT_MASTER_KEY=... npm run e2e
//
// Logs in, creates a provider, a model and a virtual key through the UI, visits every page
// (screenshots in e2e/screenshots/), checks the layout at 1024 px, deletes what it created,
// logs out. Fails on any console error, page error or failed request, except those listed
// below. With FAKE_UPSTREAM_URL (an OpenAI-compatible base URL, e.g. bin/fakeopenai's
// http://127.0.0.1:18900/v1) the provider points there, its connection test must pass and a
// streamed chat message must come back (CONDUIT_E2E_CHAT=1 forces the chat step on).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Endpoints the server may not serve yet: a 404/405/501 from these is tolerated. The first
// three are SPEC §3 "coming later" endpoints; the last two are optional extras beyond the
// contract that the UI uses when present. Remove entries as the backend ships them.
const COMING_LATER_ENDPOINTS = [
  /^\/admin\/notifications(\/|$)/,
  /^\/admin\/events$/,
  /^\/admin\/audit$/,
  /^\/admin\/provider-types$/, // default base URLs per provider type (optional)
  /^\/admin\/logs\/[^/]+$/, // one request log with its bodies (optional)
];

const BASE = (process.env.CONDUIT_URL || 'http://127.0.0.1:18800').replace(/\/$/, '');
const MASTER = process.env.CONDUIT_MASTER_KEY;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
const RUN = Date.now().toString(36);
const UPSTREAM = process.env.FAKE_UPSTREAM_URL || '';
const CHAT = process.env.CONDUIT_E2E_CHAT === '1' || UPSTREAM !== '';

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
  if (COMING_LATER_ENDPOINTS.some((re) => re.test(p)) && [404, 405, 501].includes(status)) return true;
  return expected.some((e) => e.status === status && (e.path === p || p.startsWith(e.path)));
}

function problem(msg) {
  problems.push(`[${step}] ${msg}`);
  console.error(`  ✗ ${msg}`);
}

function log(msg) {
  console.log(`• ${msg}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(15000); // generous: CI machines here have 2 busy cores

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
  const err = req.failure()?.errorText || '';
  // Long-lived streams are cut when the page navigates or the test ends: not a failure.
  if (err.includes('ERR_ABORTED') && (pathOf(req.url()) === '/admin/events' || pathOf(req.url()).startsWith('/v1/chat'))) return;
  problem(`request failed: ${req.method()} ${pathOf(req.url())} ${err}`);
});

async function settle() {
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), null, { timeout: 10000 }).catch(() => problem('still loading after 10 s'));
}

async function go(route) {
  await page.goto(`${BASE}/#${route}`);
  await settle();
}

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, timeout: 30000 });
}

async function run(name, fn) {
  step = name;
  log(name);
  try {
    await fn();
  } catch (e) {
    problem(e instanceof Error ? e.message.split('\n')[0] : String(e));
    await shot(`FAILED-${name.replace(/\W+/g, '-')}`).catch(() => {});
  }
  expected = [];
}

const providerName = `e2e-provider-${RUN}`;
const alias = `e2e-model-${RUN}`;
const keyName = `e2e-key-${RUN}`;
let createdKey = '';

await run('login page', async () => {
  expected = [{ path: '/admin/system', status: 401 }, { path: '/admin/login', status: 401 }];
  await page.goto(BASE + '/');
  await page.getByLabel('Master key').waitFor();
  await shot('login');
  await page.getByLabel('Master key').fill('definitely-wrong-' + RUN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong master key').waitFor();
  await page.getByLabel('Master key').fill(MASTER);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await settle();
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
  await shot('model-form');
  await dialog.getByRole('button', { name: 'Add deployment' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: alias }).waitFor();
});

await run('create key', async () => {
  await go('/keys');
  await page.getByRole('button', { name: 'Create key' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create virtual key' });
  await dialog.getByLabel('Name').fill(keyName);
  await dialog.getByLabel('Max budget (USD)').fill('10');
  await dialog.getByLabel('Budget period').selectOption('monthly');
  await dialog.getByLabel('Requests / min').fill('60');
  await dialog.getByLabel('Allowed models').fill(`${alias}, e2e-*`);
  await dialog.getByLabel('Metadata (JSON object)').fill('{"owner": "e2e"}');
  await dialog.getByRole('button', { name: 'Create key' }).click();
  const reveal = page.getByRole('dialog', { name: 'Key created' });
  await reveal.waitFor();
  createdKey = await reveal.getByLabel(`Key for “${keyName}”`).inputValue();
  if (!/^condt_[A-Za-z0-9_-]{43}$/.test(createdKey)) problem(`created key has an unexpected format: ${createdKey.slice(0, 12)}…`);
  await reveal.getByText('export OPENAI_API_KEY=').waitFor();
  await shot('key-created');
  await reveal.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('cell', { name: keyName, exact: true }).waitFor();
});

await run('chat models', async () => {
  await go('/chat');
  const keyField = page.getByLabel('API key');
  if (await keyField.count()) {
    await keyField.fill(createdKey || MASTER);
    await page.getByRole('button', { name: 'Use key' }).click();
  }
  await page.locator('#chat-model option', { hasText: alias }).waitFor({ state: 'attached' });
  if (CHAT) {
    await page.getByLabel('Model', { exact: true }).selectOption(alias);
    await page.getByLabel('Message').fill('Say hello');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.msg.assistant .meta').waitFor({ timeout: 30000 });
    if (await page.locator('.msg.assistant .msg-error').count()) {
      problem(`chat failed: ${await page.locator('.msg.assistant .msg-error').innerText()}`);
    }
    await shot('chat-answer');
  }
});

for (const [name, route] of PAGES) {
  await run(`page ${name}`, async () => {
    await go(route);
    const h1 = await page.locator('main h1').first().textContent();
    if (!h1) problem('no page heading');
    if (await page.getByText('Could not load').count()) {
      problem(`error state shown: ${(await page.locator('.state.err').first().innerText()).replace(/\s+/g, ' ')}`);
    }
    await shot(name);
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
  }
  await go('/keys');
  await shot('keys-1024');
  await page.setViewportSize({ width: 1280, height: 800 });
});

await run('logs and usage interactions', async () => {
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
  const rows = page.locator('tbody tr.clickable');
  if (await rows.count()) {
    await rows.first().click();
    await page.getByRole('dialog', { name: 'Request detail' }).waitFor();
    await page.waitForTimeout(300); // let the panel finish sliding in
    await shot('log-detail');
    await page.keyboard.press('Escape');
  }
});

await run('dark theme', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const [name, route] of [['dashboard', '/'], ['keys', '/keys'], ['usage', '/usage']]) {
    await go(route);
    await shot(`${name}-dark`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
});

await run('routing save', async () => {
  await go('/routing');
  await page.getByRole('button', { name: 'Save routing' }).click();
  await page.getByText('Routing saved').waitFor();
});

await run('settings save', async () => {
  await go('/settings');
  expected = [{ path: '/admin/settings', status: 400 }];
  await page.getByLabel('Webhook URL').fill('not a url');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Webhook URL must be a full URL').waitFor(); // client-side
  await page.getByLabel('Webhook URL').fill('');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved').waitFor();
});

await run('delete key, model, provider', async () => {
  await go('/keys');
  await page.getByRole('button', { name: `Revoke ${keyName}` }).click();
  await page.getByRole('dialog', { name: 'Revoke key' }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('cell', { name: keyName, exact: true }).waitFor({ state: 'detached' });

  await go('/models');
  await page.getByRole('button', { name: `Delete ${alias} → gpt-4o-mini` }).click();
  await page.getByRole('dialog', { name: 'Delete deployment' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: alias }).waitFor({ state: 'detached' });

  await go('/providers');
  await page.getByRole('button', { name: `Delete ${providerName}` }).click();
  await page.getByRole('dialog', { name: 'Delete provider' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('cell', { name: providerName, exact: true }).waitFor({ state: 'detached' });
});

await run('logout', async () => {
  expected = [{ path: '/admin/system', status: 401 }];
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Master key').waitFor();
  await page.reload();
  await page.getByLabel('Master key').waitFor();
});

await browser.close();

if (problems.length) {
  console.error(`\ne2e FAILED: ${problems.length} problem(s) against ${BASE}`);
  for (const p of problems) console.error(`  - ${p}`);
  console.error(`screenshots: ${SHOTS}`);
  process.exit(1);
}
console.log(`\ne2e passed against ${BASE}; screenshots in ${SHOTS}`);
