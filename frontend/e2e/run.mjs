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

import fs from 'node:fs';
import { BASE, MASTER, RUN, UPSTREAM, admin, log, openJourney } from './lib.mjs';

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

const { page, problem, run, settle, go, shot, tolerate, finish, login, createKey, chatOnce, pickAliases } = await openJourney('run');

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

await login({
  wrongFirst: true,
  onLoginPage: async (res) => {
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
    await shot('login');
  },
});

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
  // A new provider is tested at once and its models offered (first-run.mjs picks some).
  const picker = page.getByRole('dialog', { name: `Add models · ${providerName}` });
  await picker.getByText(UPSTREAM ? 'Connected' : 'Failed', { exact: true }).waitFor();
  await picker.getByRole('button', { name: 'Close' }).last().click();
  await picker.waitFor({ state: 'detached' });
  await page.getByRole('cell', { name: providerName, exact: true }).waitFor();
  // A server-side validation error (duplicate name) shows next to its field.
  tolerate([{ path: '/admin/providers', status: 400 }]);
  await page.getByRole('button', { name: 'Add provider' }).first().click();
  await dialog.getByLabel('Name').fill(providerName);
  await dialog.getByLabel('API key').fill('sk-e2e-not-a-real-key');
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  const nameError = dialog.locator('#p-name-error');
  await nameError.waitFor();
  log(`  server field error shown: "${await nameError.innerText()}"`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  tolerate([]);
  // Edit: the key stays set when left empty.
  await page.getByRole('button', { name: `Edit ${providerName}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${providerName}` });
  await edit.getByText('A key is stored').waitFor();
  await edit.getByLabel('Timeout (ms)').fill('30000');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  // An openai_compatible provider may speak the Responses API: the checkbox is saved.
  const responsesBox = () => edit.getByLabel(/Serves the Responses API/);
  for (const want of [true, false]) {
    await page.getByRole('button', { name: `Edit ${providerName}` }).click();
    const shown = await responsesBox().isChecked();
    if (shown !== !want) problem(`the Responses API checkbox shows ${shown}, the saved value is ${!want}`);
    await responsesBox().setChecked(want);
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
  }
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
  const dialog = page.getByRole('dialog', { name: 'Add model' });
  await dialog.getByLabel('Alias').fill(alias);
  await dialog.getByLabel('Provider', { exact: true }).selectOption({ label: providerName });
  await dialog.getByLabel('Provider model').fill('gpt-4o-mini');
  await dialog.getByLabel('Context window').fill('128000');
  await dialog.getByLabel('Vision').check();
  await shot('model-form');
  await dialog.getByRole('button', { name: 'Add model' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: alias }).waitFor();
});

await run('create key', async () => {
  const { key, reveal } = await createKey(keyName, async (dialog) => {
    await dialog.getByLabel('Max budget (USD)').fill('10');
    await dialog.getByLabel('Budget period').selectOption('monthly');
    await dialog.getByLabel('Requests per minute').fill('60');
    await pickAliases(dialog.getByLabel('Allowed models'), [alias, 'e2e-*']);
    await dialog.getByLabel('Metadata (JSON object)').fill('{"owner": "e2e"}');
  });
  createdKey = key;
  await shot('key-created');
  await reveal.getByRole('button', { name: 'Done' }).click();
  await keyCell(keyName).waitFor();
});

if (UPSTREAM) {
  await run('chat (streaming) with the key', async () => {
    const usage = await chatOnce(createdKey, alias, 'Say hello');
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
    await page.locator('.msg.assistant .meta').first().getByRole('button', { name: 'log', exact: true }).click();
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
    // That request was not streamed: its First byte cell still shows its time.
    const firstByte = (await row.first().locator('td').last().textContent()).trim();
    if (!/ms|s$/.test(firstByte)) throw new Error(`First byte of a non-streamed row: "${firstByte}"`);
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
      await pickAliases(dialog.getByLabel('Allowed models'), [alias]);
    });
    budgetKey = key;
    await reveal.getByRole('button', { name: 'Done' }).click();
    await keyCell(budgetKeyName).waitFor();
    const unreadBefore = await bellCount();
    const loads = [];
    const onLoad = () => loads.push(Date.now());
    page.on('load', onLoad);
    await chatOnce(budgetKey, alias, 'Spend my budget');
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
    const usage = await chatOnce(null, alias, 'Say hello');
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
    if (name === 'keys') {
      for (const col of ['Limits', 'Expires']) {
        if (!(await page.getByRole('columnheader', { name: col }).isVisible())) problem(`keys: the ${col} column is hidden at 1024px`);
      }
      if (!(await page.getByText('60 requests per minute').isVisible())) problem('keys: a key\'s limits are not shown at 1024px');
    }
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

await run('routing: unsaved changes guard, field errors, save', async () => {
  await go('/routing');
  await page.getByRole('radio', { name: /Round robin/ }).check();
  await page.getByText('Unsaved changes').waitFor();
  // Leaving asks; Cancel stays on the page with the edit.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  const ask = page.getByRole('dialog', { name: 'Leave without saving?' });
  await ask.waitFor();
  await shot('routing-leave-guard');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'detached' });
  if (!page.url().includes('#/routing')) throw new Error(`left Routing after Cancel: ${page.url()}`);
  if (!(await page.getByRole('radio', { name: /Round robin/ }).isChecked())) throw new Error('the unsaved edit was lost');
  // A field error goes once its value is edited.
  await page.getByLabel('Max retries').fill('-1');
  await page.getByRole('button', { name: 'Save routing' }).click();
  const err = page.getByText('Max retries must be at least 0');
  await err.waitFor();
  await page.getByLabel('Max retries').fill('0');
  await err.waitFor({ state: 'detached' });
  await page.getByLabel('Max retries').fill('3');
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await page.getByRole('button', { name: 'Save routing' }).click();
  await page.getByText('Routing saved').waitFor();
  // Nothing unsaved: no question. #/dashboard is the Dashboard.
  await page.evaluate(() => (location.hash = '#/dashboard'));
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await settle();
});

await run('logs filters live in the URL', async () => {
  await go('/logs');
  await page.getByLabel('Errors only').check();
  await page.getByLabel('Status').selectOption('200');
  await page.getByText('No matching requests').waitFor();
  await page.waitForFunction(() => location.hash.includes('errors=1') && location.hash.includes('status=200'));
  await page.reload();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await settle();
  if (!(await page.getByLabel('Errors only').isChecked()) || (await page.getByLabel('Status').inputValue()) !== '200') {
    throw new Error('the filters did not survive a reload');
  }
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.waitForFunction(() => !location.hash.includes('?'));
  await settle();
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
  await page.getByRole('dialog', { name: 'Delete model' }).getByRole('button', { name: 'Delete' }).click();
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
  tolerate([{ path: '/admin/system', status: 401 }]);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Master key').waitFor();
  await page.reload();
  await page.getByLabel('Master key').waitFor();
});

await finish();
