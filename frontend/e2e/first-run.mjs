// First-run journey: what a new admin does on an empty server, in Chromium.
//
//   CONDUIT_URL=… CONDUIT_MASTER_KEY=… FAKE_UPSTREAM_URL=… node e2e/first-run.mjs
//
// scripts/e2e.sh runs it against a FRESH data dir before run.mjs. The Dashboard's
// getting-started checklist leads the way: add a provider (the fake upstream), whose models are
// offered as checkboxes once its connection test passes; two become aliases in one go; the one
// without a price is flagged and priced in one click; a key whose allowed-models typo is refused
// (picker and server); a first chat, which survives a trip to Request Logs; a log found by part
// of its model name; the checklist is gone; a fallback picked from the aliases;
// a provider that cannot be reached says why; deleting the provider lists and removes its
// aliases and fallbacks. Screenshots are named first-run-*.png. Fails on any console error, page
// error, CSP violation or unexpected failed request (see lib.mjs).

import { BASE, MASTER, RUN, UPSTREAM, admin, log, openJourney, sleep } from './lib.mjs';

if (!UPSTREAM) {
  console.error('first-run: set FAKE_UPSTREAM_URL (the journey needs an upstream)');
  process.exit(2);
}

const { page, run, go, settle, shot, finish, login, createKey, chatOnce, pickAliases } = await openJourney('first-run', { prefix: 'first-run-' });

const providerName = `first-provider-${RUN}`;
const priced = 'gpt-4o-mini'; // in the shipped price table
const unpriced = 'fake-local-7b'; // listed by the fake upstream, priced by nobody
let key = '';

const checklist = () => page.getByRole('region', { name: 'Getting started' });

await login();

await run('fresh dashboard: the checklist', async () => {
  const providers = await admin('/admin/providers');
  if (providers.data.length) throw new Error(`the server is not fresh: ${providers.data.length} provider(s)`);
  await go('/');
  await checklist().getByText('0 of 4 done').waitFor();
  for (const step of ['Add a provider', 'Add a model', 'Create a virtual key', 'Send a first chat']) await checklist().getByText(step).waitFor();
  await shot('dashboard');
});

await run('add a provider: its models as checkboxes', async () => {
  // The checklist's link opens the Providers page with its form open.
  await checklist().getByRole('link', { name: 'Add provider' }).click();
  await page.getByRole('heading', { name: 'Providers', level: 1 }).waitFor();
  const dialog = page.getByRole('dialog', { name: 'Add provider' });
  await dialog.waitFor();
  if (new URL(page.url()).hash !== '#/providers') throw new Error(`the form's parameter stays in the URL: ${page.url()}`);
  await shot('provider-form-from-checklist');
  await dialog.getByLabel('Name').fill(providerName);
  await dialog.getByLabel('Type').selectOption('openai_compatible');
  await dialog.getByLabel('Base URL').fill(UPSTREAM);
  await dialog.getByLabel('API key').fill('sk-first-run-not-real');
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  await dialog.waitFor({ state: 'detached' });
  // Saved, tested, and its models listed to pick from.
  const picker = page.getByRole('dialog', { name: `Add models · ${providerName}` });
  await picker.getByText('Connected', { exact: true }).waitFor();
  await picker.getByText('3 models available').waitFor();
  for (const m of [priced, unpriced]) {
    await picker.getByRole('checkbox', { name: `Add ${m}` }).check();
    const aliasInput = picker.getByRole('textbox', { name: `Alias for ${m}` });
    if ((await aliasInput.inputValue()) !== m) throw new Error(`the alias for ${m} does not default to the model name`);
  }
  await shot('models-picked');
  await picker.getByRole('button', { name: 'Add 2 models' }).click();
  await picker.waitFor({ state: 'detached' });
  // The test recorded the provider's health: the badge says so at once.
  await page.getByRole('row', { name: new RegExp(providerName) }).getByText('up', { exact: true }).waitFor();
  const aliases = (await admin('/admin/models')).data.map((d) => d.alias).sort();
  if (aliases.join() !== [unpriced, priced].sort().join()) throw new Error(`aliases after picking: ${aliases.join(', ')}`);
});

await run('the unpriced alias is flagged and priced in one click', async () => {
  await go('/models');
  const flagged = page.getByRole('link', { name: `Set price for ${unpriced}` });
  await flagged.waitFor();
  if (await page.getByRole('link', { name: `Set price for ${priced}` }).count()) throw new Error(`${priced} is flagged although it has a price`);
  await shot('models-unpriced');
  await go('/usage');
  await page.getByRole('status', { name: 'Models without a price' }).getByRole('link', { name: `Set price for ${unpriced}` }).waitFor();
  await go('/models');
  await flagged.click();
  const form = page.getByRole('dialog', { name: 'Add price' });
  if ((await form.getByLabel('Model pattern').inputValue()) !== unpriced) throw new Error('Model Costs did not open with the model as the pattern');
  await form.getByLabel('Input (USD / MTok)', { exact: true }).fill('0.1');
  await form.getByLabel('Output (USD / MTok)', { exact: true }).fill('0.2');
  await form.getByRole('button', { name: 'Save price' }).click();
  // Back on Models, no longer flagged.
  await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
  await settle();
  await page.getByRole('heading', { name: unpriced }).waitFor();
  if (await flagged.count()) throw new Error(`${unpriced} is still flagged after pricing it`);
});

await run('the Audit Log names the price by its model pattern', async () => {
  await go('/audit?resource=cost');
  await page.locator('td.res', { hasText: `cost ${unpriced}` }).first().waitFor();
  await shot('audit-price');
});

await run('a key: an allowed-models typo is refused', async () => {
  const created = await createKey(`first-key-${RUN}`, async (dialog) => {
    const input = dialog.getByLabel('Allowed models');
    await input.fill('gtp-4o-mini');
    await input.press('Enter');
    await dialog.getByText('No alias is named “gtp-4o-mini”; did you mean “gpt-4o-mini”?').waitFor();
    await input.fill('fake-*');
    await dialog.getByRole('option', { name: /Add pattern fake-\*.*matches fake-local-7b/ }).waitFor();
    await shot('key-pattern-preview');
    await pickAliases(input, ['fake-*', priced]);
  });
  key = created.key;
  await created.reveal.getByRole('button', { name: 'Done' }).click();
  // The server refuses the typo too, naming the field and the near miss.
  const res = await fetch(`${BASE}/admin/keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${MASTER}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'typo', allowed_models: ['gtp-4o-mini'] }),
  });
  const body = await res.json();
  if (res.status !== 400 || body.error?.field !== 'allowed_models' || !body.error.message.includes('did you mean "gpt-4o-mini"')) {
    throw new Error(`POST /admin/keys with a typo: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
});

await run('first chat', async () => {
  const usage = await chatOnce(key, unpriced, 'Hello, Conduit');
  log(`  answer: ${usage}`);
  if (await page.getByRole('link', { name: `Set price for ${unpriced}` }).count()) throw new Error('a priced answer is flagged as unpriced');
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
  await detail.getByText(unpriced).first().waitFor();
  if (!page.url().includes('#/chat')) throw new Error(`the log link left the Chat page: ${page.url()}`);
  await page.keyboard.press('Escape');
  await detail.waitFor({ state: 'detached' });
  await go('/logs');
  await go('/chat');
  if ((await answers.count()) !== n) throw new Error(`${await answers.count()} answers after the trip, want ${n}`);
  if ((await page.getByLabel('System prompt').inputValue()) !== 'Answer briefly.') throw new Error('the system prompt was lost');
  if ((await page.getByLabel('Message').inputValue()) !== 'a draft kept across pages') throw new Error('the message being typed was lost');
  if ((await page.getByLabel('Model', { exact: true }).inputValue()) !== unpriced) throw new Error('the model was lost');
  await shot('chat-after-trip');
});

await run('a log found by part of the model name', async () => {
  await go('/logs');
  const part = unpriced.slice(2, -2).toUpperCase(); // any case, neither end
  await page.getByLabel('Model', { exact: true }).fill(part);
  await page.waitForFunction((p) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('model') === p, part);
  await settle();
  await page.locator('tbody tr.clickable', { hasText: unpriced }).first().waitFor();
  await page.getByLabel('Model', { exact: true }).fill('no-such-model-' + RUN);
  await page.getByText('No matching requests').waitFor();
  await page.getByLabel('Model', { exact: true }).fill(part);
  await page.locator('tbody tr.clickable', { hasText: unpriced }).first().waitFor();
  await shot('logs-partial-model');
});

await run('the checklist is gone once all is done', async () => {
  await go('/');
  if (await checklist().count()) throw new Error(`the checklist is still shown: ${await checklist().innerText()}`);
  await shot('dashboard-done');
});

await run('a fallback picked from the aliases', async () => {
  await go('/routing');
  await page.getByRole('button', { name: 'Add fallback', exact: true }).click();
  await page.getByLabel('Fallbacks: alias 1').selectOption(priced);
  await pickAliases(page.getByLabel('Fallbacks: targets for alias 1'), [unpriced]);
  await page.getByRole('button', { name: 'Save routing' }).click();
  await page.getByText('Routing saved').waitFor();
  const r = await admin('/admin/router');
  if (JSON.stringify(r.fallbacks) !== JSON.stringify({ [priced]: [unpriced] })) throw new Error(`fallbacks saved as ${JSON.stringify(r.fallbacks)}`);
});

await run('a provider that cannot be reached says why', async () => {
  await go('/providers');
  await page.getByRole('button', { name: 'Add provider' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add provider' });
  const broken = `broken-${RUN}`;
  await dialog.getByLabel('Name').fill(broken);
  await dialog.getByLabel('Type').selectOption('openai_compatible');
  await dialog.getByLabel('Base URL').fill('http://127.0.0.1:9/v1');
  await dialog.getByRole('button', { name: 'Create provider' }).click();
  const picker = page.getByRole('dialog', { name: `Add models · ${broken}` });
  await picker.getByText('Failed', { exact: true }).waitFor();
  await picker.getByText(/connection refused/).waitFor();
  await picker.getByText('http://127.0.0.1:9/v1/models').waitFor();
  await picker.getByText(/Nothing is listening there/).waitFor();
  await shot('provider-test-failed');
  await picker.getByRole('button', { name: 'Close' }).last().click();
  await page.getByRole('row', { name: new RegExp(broken) }).getByText('down', { exact: true }).waitFor();
  await page.getByRole('button', { name: `Delete ${broken}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete provider' });
  await confirm.getByText('No model uses it').waitFor();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await confirm.waitFor({ state: 'detached' });
});

await run('deleting the provider lists and removes its aliases and fallbacks', async () => {
  await go('/providers');
  await page.getByRole('button', { name: `Delete ${providerName}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete provider' });
  await confirm.getByText('Deletes 2 models:').waitFor();
  await confirm.getByText('These aliases stop answering (no model left):').waitFor();
  await confirm.getByText(`${priced} → ${unpriced}`).waitFor(); // the fallback
  await confirm.getByText(`first-key-${RUN}`).waitFor(); // the key that allows gpt-4o-mini
  await sleep(300); // the dialog's fade-in, for the screenshot
  await shot('provider-delete');
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('cell', { name: providerName, exact: true }).waitFor({ state: 'detached' });
  const [models, router] = await Promise.all([admin('/admin/models'), admin('/admin/router')]);
  if (models.data.length) throw new Error(`models left after deleting the provider: ${models.data.map((d) => d.alias).join(', ')}`);
  if (Object.keys(router.fallbacks).length) throw new Error(`fallbacks left after deleting the provider: ${JSON.stringify(router.fallbacks)}`);
});

await finish();
