// First-run journey: what a new admin does on an empty server, in Chromium.
//
//   CONDUIT_URL=… CONDUIT_MASTER_KEY=… FAKE_UPSTREAM_URL=… node e2e/first-run.mjs
//
// scripts/e2e.sh runs it against a FRESH data dir before run.mjs. From the empty Dashboard:
// add a provider (the fake upstream), add a model for it, create a key and have a first chat.
// Screenshots are named first-run-*.png. Fails on any console error, page error, CSP violation
// or unexpected failed request (see lib.mjs).

import { RUN, UPSTREAM, admin, log, openJourney } from './lib.mjs';

if (!UPSTREAM) {
  console.error('first-run: set FAKE_UPSTREAM_URL (the journey needs an upstream)');
  process.exit(2);
}

const { page, run, go, settle, shot, finish, login, createKey, chatOnce } = await openJourney('first-run', { prefix: 'first-run-' });

const providerName = `first-provider-${RUN}`;
const model = 'gpt-4o-mini';
const alias = `first-${RUN}`;
let key = '';

await login();

await run('fresh dashboard', async () => {
  const providers = await admin('/admin/providers');
  if (providers.data.length) throw new Error(`the server is not fresh: ${providers.data.length} provider(s)`);
  await go('/');
  await shot('dashboard');
});

await run('add a provider', async () => {
  await go('/providers');
  await page.getByRole('button', { name: 'Add provider' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add provider' });
  await dialog.getByLabel('Name').fill(providerName);
  await dialog.getByLabel('Type').selectOption('openai_compatible');
  await dialog.getByLabel('Base URL').fill(UPSTREAM);
  await dialog.getByLabel('API key').fill('sk-first-run-not-real');
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('cell', { name: providerName, exact: true }).waitFor();
});

await run('add a model', async () => {
  await go('/models');
  await page.getByRole('button', { name: 'Add model' }).first().click();
  const dialog = page.getByRole('dialog', { name: /^Add model/ });
  await dialog.getByLabel('Alias').fill(alias);
  await dialog.getByLabel('Provider', { exact: true }).selectOption({ label: providerName });
  await dialog.getByLabel('Provider model').fill(model);
  await dialog.getByRole('button', { name: /^Add/ }).last().click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: alias }).waitFor();
  await shot('models');
});

await run('create a key', async () => {
  const created = await createKey(`first-key-${RUN}`, async (dialog) => {
    await dialog.getByLabel('Allowed models').fill(alias);
  });
  key = created.key;
  await created.reveal.getByRole('button', { name: 'Done' }).click();
});

await run('first chat', async () => {
  const usage = await chatOnce(key, alias, 'Hello, Conduit');
  log(`  answer: ${usage}`);
  await shot('chat');
});

await run('the chat survives a trip to Request Logs', async () => {
  const answers = page.locator('.msg.assistant');
  const n = await answers.count();
  if (n === 0) throw new Error('no answer on the Chat page to keep');
  await page.getByLabel('System prompt').fill('Answer briefly.');
  await page.getByLabel('Message').fill('a draft kept across pages');
  // The answer's log opens beside the conversation, on the Chat page.
  await answers.last().getByRole('button', { name: 'log', exact: true }).click();
  const detail = page.getByRole('dialog', { name: 'Request detail' });
  await detail.getByText(alias).first().waitFor();
  if (!page.url().includes('#/chat')) throw new Error(`the log link left the Chat page: ${page.url()}`);
  await page.keyboard.press('Escape');
  await detail.waitFor({ state: 'detached' });
  await go('/logs');
  await go('/chat');
  if ((await answers.count()) !== n) throw new Error(`${await answers.count()} answers after the trip, want ${n}`);
  if ((await page.getByLabel('System prompt').inputValue()) !== 'Answer briefly.') throw new Error('the system prompt was lost');
  if ((await page.getByLabel('Message').inputValue()) !== 'a draft kept across pages') throw new Error('the message being typed was lost');
  if ((await page.getByLabel('Model', { exact: true }).inputValue()) !== alias) throw new Error('the model was lost');
  await shot('chat-after-trip');
});

await run('a log found by part of the model name', async () => {
  await go('/logs');
  const part = alias.slice(2, -2).toUpperCase(); // any case, neither end
  await page.getByLabel('Model', { exact: true }).fill(part);
  await page.waitForFunction((p) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('model') === p, part);
  await settle();
  await page.locator('tbody tr.clickable', { hasText: alias }).first().waitFor();
  await page.getByLabel('Model', { exact: true }).fill('no-such-model-' + RUN);
  await page.getByText('No matching requests').waitFor();
  await page.getByLabel('Model', { exact: true }).fill(part);
  await page.locator('tbody tr.clickable', { hasText: alias }).first().waitFor();
  await shot('logs-partial-model');
});

await finish();
