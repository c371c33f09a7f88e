// Shared pieces of the browser end-to-end journeys (run.mjs, first-run.mjs): a Chromium page
// that records every console error, page error, CSP violation and unexpected HTTP failure as a
// problem; steps, settling, navigation, screenshots; and the UI flows both journeys use.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE = (process.env.CONDUIT_URL || 'http://127.0.0.1:18800').replace(/\/$/, '');
export const MASTER = process.env.CONDUIT_MASTER_KEY;
export const UPSTREAM = process.env.FAKE_UPSTREAM_URL || '';
export const RUN = Date.now().toString(36);
export const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(msg) {
  console.log(`• ${msg}`);
}

function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Requests that stay open by design: the event stream and streamed chat answers. */
const longLived = (url) => {
  const p = pathOf(url);
  return p === '/admin/events' || p === '/v1/chat/completions';
};

/**
 * Opens Chromium on a 1280×800 page and returns the journey's toolkit. `name` labels the
 * summary line; `prefix` is put before every screenshot's file name.
 */
export async function openJourney(name, { prefix = '' } = {}) {
  if (!MASTER) {
    console.error('e2e: set CONDUIT_MASTER_KEY (and CONDUIT_URL, default http://127.0.0.1:18800)');
    process.exit(2);
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`e2e: no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    process.exit(2);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png') && f.startsWith(prefix) && (prefix || !f.startsWith('first-run-'))) fs.rmSync(path.join(SHOTS, f));

  const started = Date.now();
  const problems = [];
  let step = 'start';
  /** Statuses tolerated for the current step, e.g. 401 while logged out. */
  let expected = [];
  const tolerated = (url, status) => {
    const p = pathOf(url);
    return expected.some((e) => e.status === status && (e.path === p || p.startsWith(e.path)));
  };
  const problem = (msg) => {
    problems.push(`[${step}] ${msg}`);
    console.error(`  ✗ ${msg}`);
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
  async function shot(shotName) {
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
      await page.screenshot({ path: path.join(SHOTS, `${prefix}${shotName}.png`), fullPage: true, timeout: 30000 });
    } finally {
      if (tall) await page.evaluate(grow, false);
    }
  }

  async function run(stepName, fn) {
    step = stepName;
    const t0 = Date.now();
    log(stepName);
    try {
      await fn();
    } catch (e) {
      problem(e instanceof Error ? e.message.split('\n')[0] : String(e));
      await shot(`FAILED-${stepName.replace(/\W+/g, '-')}`).catch(() => {});
    }
    expected = [];
    const dt = Date.now() - t0;
    if (dt > 8000) log(`  (${(dt / 1000).toFixed(1)} s)`);
  }

  /** Tolerates these `{path, status}` answers until the current step ends. */
  function tolerate(list) {
    expected = list;
  }

  /** Closes the browser, prints the summary and exits (1 when any problem was seen). */
  async function finish() {
    await browser.close();
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    if (problems.length) {
      console.error(`\ne2e ${name} FAILED: ${problems.length} problem(s) against ${BASE} (${secs} s)`);
      for (const p of problems) console.error(`  - ${p}`);
      console.error(`screenshots: ${SHOTS}`);
      process.exit(1);
    }
    console.log(`\ne2e ${name} passed against ${BASE} in ${secs} s; screenshots in ${SHOTS}`);
  }

  /** Signs in with the master key (after one wrong attempt when `wrongFirst`); stops the journey if that fails. */
  async function login({ wrongFirst = false, onLoginPage } = {}) {
    await run('login page', async () => {
      tolerate([{ path: '/admin/system', status: 401 }, { path: '/admin/login', status: 401 }]);
      const res = await page.goto(BASE + '/');
      await page.getByLabel('Master key').waitFor();
      if (onLoginPage) await onLoginPage(res);
      if (wrongFirst) {
        await page.getByLabel('Master key').fill('definitely-wrong-' + RUN);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByText('Wrong master key').waitFor();
      }
      await page.getByLabel('Master key').fill(MASTER);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await settle();
      // The event stream is up: the bell says "Live".
      await page.locator('button[data-live="open"]').waitFor();
    });
    if (problems.length) {
      await browser.close();
      console.error(`\ne2e ${name} FAILED: cannot log in to ${BASE}, stopping.`);
      for (const p of problems) console.error(`  - ${p}`);
      process.exit(1);
    }
  }

  /** Creates a key through the UI and returns its plaintext and the still-open reveal dialog. */
  async function createKey(keyName, fill) {
    await go('/keys');
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create virtual key' });
    await dialog.getByLabel('Name').fill(keyName);
    await fill(dialog);
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const reveal = page.getByRole('dialog', { name: 'Key created' });
    await reveal.waitFor();
    const key = await reveal.getByLabel(`Key for “${keyName}”`).inputValue();
    if (!/^condt_[A-Za-z0-9_-]{43}$/.test(key)) problem(`created key has an unexpected format: ${key.slice(0, 12)}…`);
    await reveal.getByText('export OPENAI_API_KEY=').waitFor();
    // Closing the show-once dialog before the key was copied asks first; Cancel keeps it open.
    await page.keyboard.press('Escape');
    const ask = page.getByRole('dialog', { name: 'Did you copy the key?' });
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
    await reveal.getByRole('button', { name: 'Copy key' }).click();
    return { key, reveal };
  }

  /** Picks each name in an alias picker (a combobox with chips): type it, press Enter, see its chip. */
  async function pickAliases(input, names) {
    for (const n of names) {
      await input.fill(n);
      await input.press('Enter');
      await input.locator('xpath=..').getByRole('button', { name: new RegExp(`^Remove .* ${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
    }
  }

  /**
   * Chat page: use `key` (null: the playground, as the signed-in admin), send one message to
   * `alias`, wait for the answer with its tokens and cost; returns the usage line.
   */
  async function chatOnce(key, alias, text) {
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

  return { page, problem, run, settle, go, shot, tolerate, finish, login, createKey, chatOnce, pickAliases };
}

/** Admin API straight from Node (checks that do not belong to the browser). */
export async function admin(pathname, init = {}) {
  const res = await fetch(BASE + pathname, {
    ...init,
    headers: { Authorization: `Bearer ${MASTER}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
  });
  if (!res.ok) throw new Error(`${init.method || 'GET'} ${pathname}: HTTP ${res.status}`);
  return res.status === 204 ? null : res.json();
}
