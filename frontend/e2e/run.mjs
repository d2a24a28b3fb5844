// Browser end-to-end test of the dashboard: Debian's Chromium driven by
// playwright-core against a running `milady-cloud --headless --sim` (or the
// mock in e2e/mock-server.mjs). One scenario, run in order; a failed step
// skips the ones after it, since each builds on the last.
//
// Environment:
//   MILADY_E2E_URL   the dashboard, e.g. http://127.0.0.1:2138 (a #token=… fragment is kept)
//   MILADY_SIM_URL   the simulator's base, whose control API is POST /__sim/…
//   MILADY_SIM_CA    optional PEM file trusted for MILADY_SIM_URL (the sim's self-signed cert);
//                    without it the control calls skip verification (loopback test only)
//   MILADY_CHROMIUM  browser binary (default /usr/bin/chromium)
//   MILADY_E2E_TIMEOUT_MS  default wait per step (default 30000)
//
// Prints one line per step and a last line "N passed, N failed"; exits 1 on failure.

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeTally, checkA11y } from './axe.mjs';

const APP = process.env.MILADY_E2E_URL;
const SIM = process.env.MILADY_SIM_URL;
if (!APP || !SIM) {
  console.error('e2e: set MILADY_E2E_URL (the dashboard) and MILADY_SIM_URL (the simulator base)');
  console.log('0 passed, 1 failed');
  process.exit(2);
}
const T = Number(process.env.MILADY_E2E_TIMEOUT_MS ?? 30000);
const SHOTS = process.env.MILADY_E2E_SHOTS ? process.env.MILADY_E2E_SHOTS.replace(/\/?$/, '/') : fileURLToPath(new URL('./screenshots/', import.meta.url));
const simCA = process.env.MILADY_SIM_CA
  ? await readFile(process.env.MILADY_SIM_CA).catch((e) => {
      console.warn(`e2e: cannot read MILADY_SIM_CA (${e.message}); not verifying the simulator's certificate`);
      return undefined;
    })
  : undefined;

/** simPost calls the simulator's control API. */
function simPost(path, body) {
  const url = new URL(path, SIM);
  const payload = JSON.stringify(body);
  const mod = url.protocol === 'https:' ? https : http;
  const opts = {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    // The simulator's certificate is self-signed: trust the given CA, or
    // (test only, loopback) skip verification when none was given.
    ...(url.protocol === 'https:' ? (simCA ? { ca: simCA } : { rejectUnauthorized: false }) : {}),
  };
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () =>
        res.statusCode >= 200 && res.statusCode < 300
          ? resolve(text)
          : reject(new Error(`sim ${path}: HTTP ${res.statusCode} ${text}`)),
      );
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`sim ${path}: timeout`)));
    req.end(payload);
  });
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ------------------------------------------------------------ runner

const steps = [];
const step = (name, fn) => steps.push({ name, fn });

const profile = await mkdtemp(join(tmpdir(), 'milady-e2e-'));
await mkdir(SHOTS, { recursive: true });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MILADY_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  // The login popup is the simulator's page, served with its self-signed
  // certificate.
  ignoreHTTPSErrors: true,
  viewport: { width: 1280, height: 800 },
  colorScheme: 'light',
});
context.setDefaultTimeout(T);
const page = context.pages()[0] ?? (await context.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => {
  // A failed request logs "Failed to load resource"; the app reports those
  // in words where they matter, so only other console errors count.
  if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
});

const byId = (id) => page.getByTestId(id);
const axeTally = new AxeTally();
/** a11y runs axe on the page as it is now (light/dark × 1280/420 px). */
const a11y = (label) => checkA11y(page, label, axeTally);
const stateIs = (re, timeout = T) => byId('connection-state').filter({ hasText: re }).waitFor({ timeout });
const agentName = `e2e-agent-${Date.now().toString(36)}`;
const row = () => page.locator(`[data-testid="agent-row"]`, { hasText: agentName });

step('dashboard opens on the Login view', async () => {
  await page.goto(APP);
  await byId('login-button').waitFor();
  await byId('connection-state').filter({ hasText: 'Not logged in' }).waitFor();
  assert(await byId('sim-badge').isVisible(), 'the SIMULATOR badge is missing in --sim mode');
  await a11y('logged out');
});

step('a pending login can be cancelled', async () => {
  const [popup] = await Promise.all([page.waitForEvent('popup'), byId('login-button').click()]);
  await byId('login-waiting').waitFor();
  await popup.waitForURL(/\/auth\/cli-login\?session=/);
  await a11y('login waiting');
  await byId('login-cancel').click();
  await byId('login-button').waitFor();
  await popup.close();
  // The cancelled session stays cancelled: no late success logs us in.
  await page.waitForTimeout(2500);
  assert(await byId('login-button').isVisible(), 'the Login view went away after Cancel');
});

step('log in through the simulator Approve page', async () => {
  const [popup] = await Promise.all([page.waitForEvent('popup'), byId('login-button').click()]);
  await byId('login-waiting').filter({ hasText: 'Waiting for browser authentication' }).waitFor();
  await popup.waitForURL(/\/auth\/cli-login\?session=/);
  await popup.locator('#approve').click();
  await popup.locator('#result').filter({ hasText: /approved/i }).waitFor();
  await popup.close();
  await byId('nav-overview').waitFor();
  await byId('balance-amount').filter({ hasText: /^\$\d/ }).waitFor();
  await a11y('overview');
});

step('a low balance is flagged without reloading the page', async () => {
  await page.evaluate(() => {
    window.__e2eSamePage = true;
  });
  await simPost('/__sim/balance', { balance: 1.5 });
  await byId('balance-warning').filter({ hasText: /low/i }).waitFor();
  await byId('balance-amount').filter({ hasText: '$1.50' }).waitFor();
  await simPost('/__sim/balance', { balance: 0.3 });
  await byId('balance-warning').filter({ hasText: /critical/i }).waitFor();
  await a11y('overview, critical balance');
  await simPost('/__sim/balance', { balance: 25 });
  await byId('balance-amount').filter({ hasText: '$25.00' }).waitFor();
  await byId('balance-warning').waitFor({ state: 'detached' });
  assert(await page.evaluate(() => window.__e2eSamePage === true), 'the page was reloaded');
});

step('the create form explains malformed input', async () => {
  await byId('nav-agents').click();
  await byId('agent-create').click();
  await byId('form-error').filter({ hasText: /name/i }).waitFor();
  await byId('agent-name-input').fill(agentName);
  await byId('agent-env-input').fill('GREETING=hello\nnot a pair');
  await byId('agent-create').click();
  await byId('form-error').filter({ hasText: 'Line 2' }).waitFor();
  await byId('agent-env-input').fill('GREETING=hello\nGREETING=again');
  await byId('agent-create').click();
  await byId('form-error').filter({ hasText: /already set on line 1/ }).waitFor();
  await a11y('create form with an error');
});

step('create an agent', async () => {
  await byId('agent-env-input').fill('GREETING=hello\n# a comment\nLOG_LEVEL=info');
  await byId('agent-create').click();
  await row().waitFor();
  assert((await byId('agent-name-input').inputValue()) === '', 'the form was not cleared');
});

step('connect the agent', async () => {
  await row().getByTestId('agent-connect').click();
  await stateIs(/^Connected$/, Math.max(T, 120000));
  await row().getByTestId('agent-disconnect').waitFor();
  await a11y('agents, connected');
  await page.screenshot({ path: join(SHOTS, 'agents.png'), fullPage: true });
});

step('chat streams the reply', async () => {
  await byId('nav-chat').click();
  await byId('chat-input').waitFor();
  // Record every text the reply bubble shows, to see chunks arrive.
  await page.evaluate(() => {
    window.__e2eReplyTexts = [];
    new MutationObserver(() => {
      const all = document.querySelectorAll('[data-testid="chat-message"][data-role="agent"]');
      const last = all[all.length - 1];
      if (last) window.__e2eReplyTexts.push(last.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const text = `hello from the e2e test ${Date.now()}`;
  await byId('chat-input').fill(text);
  await byId('chat-send').click();
  await page
    .locator('[data-testid="chat-message"][data-role="agent"]', { hasText: `[echo] ${text}` })
    .waitFor();
  await page.locator('[data-testid="chat-message"][data-role="user"]', { hasText: text }).waitFor();
  await a11y('chat');
  const seen = new Set(await page.evaluate(() => window.__e2eReplyTexts));
  console.log(`    (reply rendered in ${seen.size} distinct states)`);
  await page.screenshot({ path: join(SHOTS, 'chat.png'), fullPage: true });
});

step('the chat input refuses more than 32 KiB', async () => {
  await byId('chat-input').fill('x'.repeat(32 * 1024 + 1));
  await page.getByRole('alert').filter({ hasText: /too long/ }).waitFor();
  assert(await byId('chat-send').isDisabled(), 'Send is enabled for an over-long message');
  await a11y('chat, message too long');
  await byId('chat-input').fill('');
});

step('a heartbeat outage shows Reconnecting, then Connected again', async () => {
  await byId('nav-overview').click();
  await simPost('/__sim/heartbeat', { fail: 3 });
  await stateIs(/^Reconnecting \(attempt \d+\/\d+\)…$/, Math.max(T, 60000));
  await stateIs(/^Connected$/, Math.max(T, 90000));
  await byId('balance-amount').waitFor();
  await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
});

step('backups: snapshot now, then restore it after confirming', async () => {
  await byId('nav-agents').click();
  await row().getByTestId('agent-backups').click();
  const panel = row().getByTestId('backups-panel');
  await panel.waitFor();
  const before = await panel.getByTestId('backup-row').count();
  await panel.getByTestId('snapshot-now').click();
  await panel.getByTestId('backup-row').nth(before).waitFor();
  // The newest backup is listed first: the one just taken.
  const newest = panel.getByTestId('backup-row').first();
  const taken = await newest.locator('td').first().getAttribute('title');
  const type = (await newest.locator('td').nth(1).textContent())?.trim();
  assert(taken && type === 'manual', `the new backup row shows ${type} taken ${taken}`);
  await newest.getByRole('button', { name: 'Restore' }).click();
  await byId('confirm-dialog').getByText(/replaced by the backup/).waitFor();
  await a11y('restore dialog');
  await byId('confirm-ok').click();
  // The toast is worded from the cloud's restore answer: it names the
  // backup's type and time, so a misread answer cannot pass.
  const said = `${agentName} was restored from the manual backup of ${taken}.`;
  await byId('notice').filter({ hasText: said }).waitFor();
  assert(!(await panel.getByRole('alert').isVisible()), 'the backups panel shows an error after the restore');
});

step('the views are reachable with the keyboard', async () => {
  await byId('nav-overview').click();
  await page.locator('h1', { hasText: 'Overview' }).waitFor();
  let onAgents = false;
  for (let i = 0; i < 15 && !onAgents; i++) {
    await page.keyboard.press('Tab');
    onAgents = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'nav-agents');
  }
  assert(onAgents, 'Tab never reached the Agents link');
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'Agents' }).waitFor();
  assert(
    await page.evaluate(() => document.activeElement?.tagName === 'H1'),
    'focus did not move to the new view heading',
  );
});

step('delete the agent after confirming', async () => {
  await row().getByTestId('agent-delete').click();
  await byId('confirm-dialog').getByText(/cannot be undone/).waitFor();
  await a11y('delete dialog');
  await byId('confirm-cancel').click();
  assert(await row().isVisible(), 'Cancel deleted the agent');
  await row().getByTestId('agent-delete').click();
  await byId('confirm-ok').click();
  await row().waitFor({ state: 'detached', timeout: Math.max(T, 60000) });
  await stateIs(/^Disconnected$/);
});

step('log out returns to the Login view', async () => {
  await byId('nav-settings').click();
  await byId('logout-button').waitFor();
  await a11y('settings');
  await byId('logout-button').click();
  await byId('login-button').waitFor({ timeout: Math.max(T, 60000) });
  await byId('connection-state').filter({ hasText: 'Not logged in' }).waitFor();
});

step('no uncaught errors in the page', async () => {
  // A failed request the app reports in words is not an error here; an
  // exception or a console.error is.
  assert(pageErrors.length === 0, `page errors:\n      ${pageErrors.join('\n      ')}`);
});

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
for (const s of steps) {
  if (broken) {
    skipped++;
    console.log(`- ${s.name} (skipped)`);
    continue;
  }
  const t0 = Date.now();
  try {
    await s.fn();
    passed++;
    console.log(`ok ${s.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    broken = true;
    console.log(`FAIL ${s.name}: ${e instanceof Error ? e.message.split('\n').slice(0, 40).join('\n') : e}`);
    const shot = join(SHOTS, 'failure.png');
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`    screenshot: ${shot}`);
    if (pageErrors.length) console.log(`    page errors: ${pageErrors.join(' | ')}`);
  }
}

console.log(axeTally.summary());
await context.close();
await rm(profile, { recursive: true, force: true });
if (skipped) console.log(`(${skipped} skipped after the failure)`);
console.log(`${passed} passed, ${failed + skipped} failed`);
process.exit(failed + skipped > 0 ? 1 : 0);
