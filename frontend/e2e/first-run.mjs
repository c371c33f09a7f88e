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

const { page, run, go, shot, finish, login, createKey, chatOnce } = await openJourney('first-run', { prefix: 'first-run-' });

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

await finish();
