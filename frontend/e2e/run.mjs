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
//   MILADY_E2E_BAD_CONFIG_URL  a second app started with a corrupt config file
//   MILADY_APP_PID   the app's process, stopped for a while to show "Lost contact"
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
function simPost(path, body, method = 'POST') {
  const url = new URL(path, SIM);
  const payload = body === undefined ? '' : JSON.stringify(body);
  const mod = url.protocol === 'https:' ? https : http;
  const opts = {
    method,
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

/** overlaps reports whether two bounding boxes intersect. */
const overlaps = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

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

/** focused describes document.activeElement (null when it is the page itself). */
const focused = () =>
  page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body || e === document.documentElement) return null;
    const r = e.getBoundingClientRect();
    const st = getComputedStyle(e);
    const name = (e.getAttribute('aria-label') || e.textContent || e.getAttribute('placeholder') || (e.labels && e.labels[0]?.textContent) || '').trim();
    return {
      tag: e.tagName,
      testid: e.getAttribute('data-testid'),
      name,
      row: e.closest('[data-testid="agent-row"]')?.querySelector('strong')?.textContent ?? null,
      visible: r.width > 1 && r.height > 1 && st.visibility !== 'hidden' && r.bottom > 0 && r.right > 0,
    };
  });
/** mustFocus asserts the focus is on a visible control with a name, never the page. */
async function mustFocus(after) {
  const f = await focused();
  assert(f, `after ${after}: the focus fell to the page (document.body)`);
  assert(f.visible, `after ${after}: the focused ${f.tag} "${f.name}" is not visible`);
  assert(f.name !== '', `after ${after}: the focused ${f.tag} has no name`);
  return f;
}
/** press presses one key and checks where the focus went. */
async function press(k, what = k) {
  await page.keyboard.press(k);
  return mustFocus(what);
}
/** tabTo presses Tab (or Shift+Tab) until the focus matches, checking every stop. */
async function tabTo(match, what, back = false) {
  for (let i = 0; i < 80; i++) {
    const f = await press(back ? 'Shift+Tab' : 'Tab', `${back ? 'Shift+Tab' : 'Tab'} towards ${what}`);
    if (match(f)) return f;
  }
  throw new Error(`the keyboard never reached ${what}`);
}

step('dashboard opens on the Login view', async () => {
  await page.goto(APP);
  await byId('login-button').waitFor();
  await byId('connection-state').filter({ hasText: 'Not logged in' }).waitFor();
  assert(await byId('sim-badge').isVisible(), 'the SIMULATOR badge is missing in --sim mode');
  await a11y('logged out');
});

step('a corrupt config file is named on the Login view, with its error', async () => {
  const bad = process.env.MILADY_E2E_BAD_CONFIG_URL;
  assert(bad, 'the second app (with a corrupt config) did not start');
  const other = await context.newPage();
  try {
    await other.goto(bad);
    const note = other.getByTestId('config-error');
    await note.waitFor();
    const text = (await note.textContent()) ?? '';
    assert(/milady\.json/.test(text), `the note does not name the file: ${text}`);
    assert(/only until the app quits/.test(text), `the note does not say the login will not be remembered: ${text}`);
    await checkA11y(other, 'login with a corrupt config', axeTally);
  } finally {
    await other.close();
  }
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

step('a new user sees the next step, not an empty chart', async () => {
  await byId('first-run').filter({ hasText: 'Create your first agent' }).waitFor();
  assert(!(await byId('balance-chart').isVisible()), 'a chart is drawn before there is any history');
  assert((await page.getByText('not enough data yet').count()) === 0, 'two "no data" sentences');
  const res = await page.request.get(new URL('/favicon.svg', APP).href);
  assert(res.status() === 200, `favicon: HTTP ${res.status()}`);
  assert((await page.locator('link[rel="icon"]').count()) === 1, 'no <link rel="icon">');
});

step('a low balance is flagged without reloading the page', async () => {
  await page.evaluate(() => {
    window.__e2eSamePage = true;
  });
  await simPost('/__sim/balance', { balance: 1.5 });
  await byId('balance-warning').filter({ hasText: /low/i }).waitFor();
  await byId('balance-amount').filter({ hasText: '$1.50' }).waitFor();
  await page.setViewportSize({ width: 420, height: 800 });
  await simPost('/__sim/balance', { balance: 0.3 });
  await byId('balance-warning').filter({ hasText: /critical/i }).waitFor();
  await a11y('overview, critical balance');
  // The critical notice replaced the low one, and says the balance now.
  await byId('notice').filter({ hasText: '$0.30' }).waitFor();
  assert((await page.locator('[data-testid="notice"][data-kind="credits"]').count()) === 1, 'the low notice stayed beside the critical one');
  await simPost('/__sim/balance', { balance: 0 });
  await byId('notice').filter({ hasText: '$0.00 left' }).waitFor();
  // No notice covers a control (all boxes read at one moment).
  const boxes = await page.evaluate(() => {
    const box = (e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, text: e.textContent?.trim() ?? '' };
    };
    return {
      notices: [...document.querySelectorAll('[data-testid="notice"]')].map(box),
      controls: [...document.querySelectorAll('main button, main a.button')].map(box).filter((b) => b.width > 0),
    };
  });
  assert(boxes.notices.length > 0, 'no notice to check');
  for (const n of boxes.notices) {
    for (const c of boxes.controls) assert(!overlaps(n, c), `the notice "${n.text}" covers "${c.text}" at 420 px`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await simPost('/__sim/balance', { balance: 25 });
  await byId('balance-amount').filter({ hasText: '$25.00' }).waitFor();
  await byId('balance-warning').waitFor({ state: 'detached' });
  assert(await page.evaluate(() => window.__e2eSamePage === true), 'the page was reloaded');
});

step('a failed balance refresh keeps the last balance, saying when it was read', async () => {
  await simPost('/__sim/faults', { method: 'GET', path: '/api/v1/credits/balance', status: 503 });
  try {
    await byId('balance-stale').filter({ hasText: /^\(as of \d{1,2}:\d{2}( [AP]M)?\) · couldn't refresh$/ }).waitFor();
    await byId('balance-amount').filter({ hasText: '$25.00' }).waitFor();
    assert((await page.getByText(/updated (just now|\d)/).count()) === 0, '"updated …" is shown beside a failed refresh');
    await a11y('overview, balance refresh failing');
  } finally {
    await simPost('/__sim/faults', undefined, 'DELETE');
  }
  await byId('balance-stale').waitFor({ state: 'detached' });
});

step('the create form explains malformed input', async () => {
  await byId('nav-agents').click();
  await byId('agent-create').click();
  await byId('form-error').filter({ hasText: /name/i }).waitFor();
  const nameInput = byId('agent-name-input');
  assert((await nameInput.getAttribute('aria-invalid')) === 'true', 'the empty name is not marked invalid');
  const described = await nameInput.getAttribute('aria-describedby');
  assert(described && (await page.locator(`#${described}`).textContent())?.match(/name/i), 'the name error is not tied to the field');
  await nameInput.fill(agentName);
  await byId('form-error').waitFor({ state: 'detached' });
  assert((await nameInput.getAttribute('aria-invalid')) === 'false', 'the fixed name is still marked invalid');
  await byId('agent-env-input').fill('GREETING=hello\nnot a pair');
  await byId('agent-create').click();
  await byId('form-error').filter({ hasText: 'Line 2' }).waitFor();
  assert((await byId('agent-env-input').getAttribute('aria-describedby'))?.includes('agent-env-error'), 'the env error is not tied to its field');
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

step('connect the agent, showing the provisioning job\'s progress (one failed try)', async () => {
  // The worker as the server runs it, quickened: polls, attempts, and a
  // first attempt that fails, so "retrying 1 of 3" shows before connecting.
  await simPost('/__sim/worker', { pollMs: 500, attemptMs: 2500, healthTimeoutMs: 2500, maxAttempts: 3 });
  await simPost('/__sim/jobs/script', { failures: 1 });
  try {
    await row().getByTestId('agent-connect').click();
    await row().getByTestId('agent-progress').filter({ hasText: /retrying \(1 of 3\)/ }).waitFor({ timeout: Math.max(T, 60000) });
    assert((await row().getByTestId('agent-disconnect').textContent())?.trim() === 'Cancel', 'no Cancel while the job runs');
    await a11y('agents, provisioning progress');
    await stateIs(/^Connected$/, Math.max(T, 120000));
  } finally {
    await simPost('/__sim/worker', { off: true });
  }
  assert(!(await row().getByTestId('agent-progress').isVisible()), 'the progress stays after connecting');
  await row().getByTestId('agent-disconnect').waitFor();
  await a11y('agents, connected');
  await page.screenshot({ path: join(SHOTS, 'agents.png'), fullPage: true });
});

step('the narrow header keeps the app name and two rows at most', async () => {
  await page.setViewportSize({ width: 420, height: 800 });
  try {
    const name = await page.locator('header .name').boundingBox();
    assert(name && name.width > 20, 'the app name is hidden at 420 px');
    const theme = await page.locator('header button.theme').boundingBox();
    const nav = await page.locator('header nav').boundingBox();
    assert(theme && nav && theme.y + theme.height <= nav.y + 1, 'the theme button wrapped below the views');
    const bar = await page.locator('header').boundingBox();
    assert(bar && bar.height < 110, `the header is ${bar?.height} px tall at 420 px (a third row?)`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SHOTS, 'agents-narrow-dark.png'), fullPage: true });
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

step('a failed action says one sentence; the raw answer is behind Details', async () => {
  const id = await row().getAttribute('data-agent-id');
  await row().getByTestId('agent-backups').click();
  const panel = row().getByTestId('backups-panel');
  await panel.waitFor();
  await simPost('/__sim/faults', {
    method: 'POST',
    path: `/api/v1/milady/agents/${id}/snapshot`,
    status: 502,
    body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    count: 1,
  });
  await panel.getByTestId('snapshot-now').click();
  const sentence = panel.getByTestId('error-sentence');
  await sentence.waitFor();
  const said = (await sentence.textContent()) ?? '';
  assert(/^Could not take a snapshot: /.test(said) && !/html|HTTP|502|:.*:/.test(said), `the error reads "${said}"`);
  await a11y('agents, action failed');
  await panel.getByText('Details').click();
  await panel.getByTestId('error-details').waitFor();
  await simPost('/__sim/faults', undefined, 'DELETE');
  await row().getByTestId('agent-backups').click();
  await panel.waitFor({ state: 'detached' });
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

step('a chat message that fails is marked, and Retry sends it once', async () => {
  const text = `retry me ${Date.now()}`;
  let failOnce = true;
  await page.route('**/api/chat**', (route) => {
    if (failOnce && route.request().method() === 'POST') {
      failOnce = false;
      return route.fulfill({ status: 502, contentType: 'application/json', body: '{"error":"stream agent: HTTP 502: bad gateway"}' });
    }
    return route.fallback();
  });
  try {
    await byId('chat-input').fill(text);
    await byId('chat-send').click();
    await byId('chat-failed').waitFor();
    assert((await byId('chat-input').inputValue()) === '', 'the failed text was put back in the input (re-sending duplicates it)');
    await a11y('chat, send failed');
    await byId('chat-retry').click();
    await page.locator('[data-testid="chat-message"][data-role="agent"]', { hasText: `[echo] ${text}` }).waitFor();
    const mine = page.locator('[data-testid="chat-message"][data-role="user"]', { hasText: text });
    assert((await mine.count()) === 1, `the message is shown ${await mine.count()} times`);
    assert(!(await byId('chat-failed').isVisible()), 'the retried message is still marked failed');
  } finally {
    await page.unroute('**/api/chat**');
  }
});

step('a heartbeat outage shows Reconnecting, then Connected again', async () => {
  await byId('nav-overview').click();
  await simPost('/__sim/heartbeat', { fail: 3 });
  await stateIs(/^Reconnecting \(attempt \d+\/\d+\)…$/, Math.max(T, 60000));
  await stateIs(/^Connected$/, Math.max(T, 90000));
  await byId('balance-amount').waitFor();
  await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
});

step('an outage the app gave up on shows Connection lost, the last values, and Reconnect', async () => {
  await simPost('/__sim/heartbeat', { fail: 1000 });
  try {
    await stateIs(/^Connection lost$/, Math.max(T, 60000));
    await byId('overview-agent').filter({ hasText: agentName }).waitFor();
    assert((await byId('last-heartbeat').textContent())?.trim() !== 'never', 'the last heartbeat was forgotten');
    await byId('connection-error').getByTestId('error-sentence').waitFor();
    await a11y('overview, connection lost');
  } finally {
    await simPost('/__sim/heartbeat', { fail: 0 });
  }
  await byId('reconnect').click();
  await stateIs(/^Connected$/, Math.max(T, 60000));
});

step('a hung app shows Lost contact and disables the controls', async () => {
  const pid = Number(process.env.MILADY_APP_PID);
  assert(pid > 0, 'MILADY_APP_PID is not set');
  process.kill(pid, 'SIGSTOP');
  try {
    await page.getByText('Lost contact with Milady Cloud').waitFor({ timeout: 15000 });
    assert((await page.locator('main[inert]').count()) === 1, 'the controls stay usable while the app does not answer');
    await a11y('lost contact');
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await page.getByText('Lost contact with Milady Cloud').waitFor({ state: 'detached', timeout: 30000 });
  await stateIs(/^Connected$/, Math.max(T, 60000));
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

step('the backups say what period they cover', async () => {
  await byId('nav-agents').click();
  const panel = row().getByTestId('backups-panel');
  if (!(await panel.isVisible())) await row().getByTestId('agent-backups').click();
  const cover = panel.getByTestId('backup-coverage');
  await cover.waitFor();
  const text = (await cover.textContent())?.replace(/\s+/g, ' ').trim() ?? '';
  assert(/^Kept backups cover \d{1,2}:\d{2}( [AP]M)?–\d{1,2}:\d{2}( [AP]M)? \(\d+ (min|h)/.test(text), `the coverage reads "${text}"`);
  assert(/newest 10/.test(text), `the coverage does not say the cloud keeps 10: "${text}"`);
  await a11y('agents, backups with coverage');
  await row().getByTestId('agent-backups').click();
  await panel.waitFor({ state: 'detached' });
});

step('the usage view lists the credit transactions and a burn rate', async () => {
  // Two hosting charges, as the cloud's billing cron makes them.
  await simPost('/__sim/usage', { hours: 1 });
  await page.waitForTimeout(1100);
  await simPost('/__sim/usage', { hours: 1 });
  await byId('nav-usage').click();
  await page.locator('h1', { hasText: 'Usage' }).waitFor();
  await byId('usage-refresh').click();
  await byId('usage-row').nth(1).waitFor();
  const hosting = page.locator('[data-testid="usage-row"]', { hasText: agentName });
  assert((await hosting.count()) >= 2, `the hosting charges of ${agentName} are not listed`);
  assert(/^−0\.01$/.test((await hosting.first().locator('td').nth(2).textContent())?.trim() ?? ''), 'a charge is not shown as −0.01');
  await byId('usage-spent').filter({ hasText: /^[\d.,]+ credits$/ }).waitFor();
  await byId('usage-burn').filter({ hasText: /^≈ [\d.,]+ credits\/hour, (lasts (≈ \d+ (hours?|days)|less than an hour|more than two years)|nothing left)$/ }).waitFor();
  await a11y('usage');
});

step('a revoked key shows the Login view with the reason; logging in again returns to the view', async () => {
  await byId('nav-agents').click();
  await page.locator('h1', { hasText: 'Agents' }).waitFor();
  await simPost('/__sim/revoke');
  const reason = byId('key-rejected');
  await reason.filter({ hasText: 'Your Eliza Cloud key was rejected (revoked or expired)' }).waitFor({ timeout: Math.max(T, 30000) });
  await byId('connection-state').filter({ hasText: 'Key rejected' }).waitFor();
  assert(!(await byId('nav-agents').isVisible()), 'the views stay reachable with a rejected key');
  await a11y('login, key rejected');
  const [popup] = await Promise.all([page.waitForEvent('popup'), byId('login-button').click()]);
  await popup.waitForURL(/\/auth\/cli-login\?session=/);
  await popup.locator('#approve').click();
  await popup.locator('#result').filter({ hasText: /approved/i }).waitFor();
  await popup.close();
  await page.locator('h1', { hasText: 'Agents' }).waitFor();
  await row().waitFor();
  await reason.waitFor({ state: 'detached' });
  await stateIs(/^Disconnected$/);
  // Connected again for the steps that follow.
  await row().getByTestId('agent-connect').click();
  await stateIs(/^Connected$/, Math.max(T, 120000));
});

/** lastOpened is the newest URL the app asked "the system browser" to open that matches re. */
async function lastOpened(re, within = T) {
  const file = process.env.MILADY_E2E_OPENED;
  assert(file, 'MILADY_E2E_OPENED is not set (scripts/e2e.sh records the opened URLs there)');
  const deadline = Date.now() + within;
  for (;;) {
    const urls = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((u) => re.test(u));
    if (urls.length) return urls[urls.length - 1];
    if (Date.now() > deadline) throw new Error(`the app opened no URL matching ${re}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const money = (s) => Number((s ?? '').replace(/[^0-9.-]/g, ''));

step('top up: the checkout opens in the browser, and the balance updates on return', async () => {
  await byId('nav-overview').click();
  await byId('balance-amount').filter({ hasText: /^\$\d/ }).waitFor();
  // The cloud's cached balance, as the server serves it: only a fresh
  // read shows the payment.
  await simPost('/__sim/balance-cache', { on: true });
  try {
    // (No Refresh here: the app allows one fresh read every 5 s, and the
    // one that counts is the read on return.)
    const before = money(await byId('balance-amount').textContent());
    await byId('top-up').click();
    // A typed amount outside 1–1,000 is refused at the field.
    await byId('topup-amount-other').check();
    await byId('topup-other').fill('5000');
    await byId('topup-go').click();
    await byId('topup-error').filter({ hasText: 'from 1 to 1,000' }).waitFor();
    assert((await byId('topup-other').getAttribute('aria-invalid')) === 'true', 'the bad amount is not marked invalid');
    assert((await byId('topup-other').getAttribute('aria-describedby')) === 'topup-other-error', 'the error is not tied to the field');
    assert((await page.evaluate(() => document.activeElement?.id)) === 'topup-other', 'the focus did not go to the bad amount');
    await byId('topup-amount-25').check();
    await a11y('overview, top-up picker');
    await byId('topup-go').click();
    await byId('topup-status').filter({ hasText: 'Checkout opened in your browser' }).waitFor();
    const url = await lastOpened(/\/__sim\/checkout\/cs_sim_/);
    assert(url.startsWith(SIM), `the checkout is not the simulator's: ${url}`);
    const checkout = await context.newPage();
    try {
      await checkout.goto(url);
      await checkout.getByText('Add $25 of credits').waitFor();
      await checkout.locator('#pay').click();
      await checkout.waitForURL(/\/dashboard\/settings\?tab=billing&checkout=success/);
    } finally {
      await checkout.close();
    }
    // Back in the dashboard: the window regains focus.
    await page.bringToFront();
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await byId('topup-paid').filter({ hasText: 'Top-up received' }).waitFor();
    await page.waitForFunction(
      ([sel, want]) => Number((document.querySelector(sel)?.textContent ?? '').replace(/[^0-9.-]/g, '')) >= want,
      // The shown balance may be the cached one, a few cents above the live one.
      ['[data-testid="balance-amount"]', before + 24],
    );
    await a11y('overview, top-up received');
  } finally {
    await simPost('/__sim/balance-cache', { on: false });
  }
});

step('Open shows a running agent\'s own UI through a pairing link, never shown in the page', async () => {
  await byId('nav-agents').click();
  const id = await row().getAttribute('data-agent-id');
  // The app opens the browser at most once per 2 s (any page: log-in,
  // checkout, agent), so an Open right after the top-up may be swallowed:
  // press again once the window has passed, as a user would.
  const want = new RegExp(`/__sim/agent-ui/${id}\\?token=`);
  let url;
  for (let i = 0; !url; i++) {
    await row().getByTestId('agent-open').click();
    await byId('notice').filter({ hasText: `${agentName} opened in your browser.` }).first().waitFor();
    url = await lastOpened(want, 3000).catch((e) => { if (i >= 2) throw e; });
  }
  const token = new URL(url).searchParams.get('token');
  assert(token && !(await page.content()).includes(token), 'the pairing token is shown in the dashboard');
});

step('a dead sandbox is recovered step by step, each step shown', async () => {
  await byId('nav-overview').click();
  await byId('overview-state').filter({ hasText: /^Connected$/ }).waitFor();
  const id = await page.evaluate(async () => (await (await fetch('/api/cloud/status')).json()).connection.agentId);
  // Record every recovery line the Overview shows: the steps pass quickly.
  await page.evaluate(() => {
    window.__e2eRecovery = [];
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="connection-recovery"]');
      const t = el?.textContent?.trim();
      if (t && window.__e2eRecovery[window.__e2eRecovery.length - 1] !== t) window.__e2eRecovery.push(t);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await simPost('/__sim/dead-sandbox', { agentId: id, dead: true });
  await page.waitForFunction(() => window.__e2eRecovery.length > 0, undefined, { timeout: Math.max(T, 60000) });
  await stateIs(/^Connected$/, Math.max(T, 90000));
  const seen = await page.evaluate(() => window.__e2eRecovery);
  console.log(`    (recovery steps shown: ${seen.map((t) => t.replace(/^Recovering the agent, (step \d of \d).*/, '$1')).join(', ')})`);
  assert(seen.every((t) => /^Recovering the agent, step [1-3] of 3: /.test(t)), `a recovery line reads: ${seen.join(' | ')}`);
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
  await byId('user-email').filter({ hasText: '@' }).waitFor();
  await byId('skip-when-idle-toggle').waitFor();
  assert(await byId('skip-when-idle-toggle').isChecked(), '"Skip backups when idle" is off by default');
  await a11y('settings');
  await byId('logout-button').click();
  // The cloud does not let a key revoke itself: log-out says so and links the page.
  await byId('confirm-dialog').getByText('Your key stays valid until you revoke it on the Eliza Cloud dashboard.').waitFor();
  const revoke = await byId('confirm-link').getAttribute('href');
  assert(revoke === `${SIM.replace(/\/$/, '')}/dashboard/api-keys`, `the revoke link is ${revoke}`);
  await a11y('log out dialog, not connected');
  await byId('confirm-ok').click();
  await byId('login-button').waitFor({ timeout: Math.max(T, 60000) });
  await byId('connection-state').filter({ hasText: 'Not logged in' }).waitFor();
});

const kbAgent = `kb-agent-${Date.now().toString(36)}`;
const kbRow = (f) => f.row === kbAgent;

step('keyboard only: log in', async () => {
  await page.locator('h1').first().focus();
  await mustFocus('the Login view');
  await tabTo((f) => f.testid === 'login-button', 'Log in');
  const [popup] = await Promise.all([page.waitForEvent('popup'), press('Enter', 'Log in')]);
  assert((await focused())?.testid === 'login-cancel', 'the focus did not move to Cancel');
  await popup.waitForURL(/\/auth\/cli-login\?session=/);
  await popup.locator('#approve').click();
  await popup.locator('#result').filter({ hasText: /approved/i }).waitFor();
  await popup.close();
  await byId('nav-overview').waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await mustFocus('logging in');
});

step('keyboard only: create an agent', async () => {
  await tabTo((f) => f.testid === 'nav-agents', 'the Agents link', true);
  await press('Enter', 'opening Agents');
  await page.locator('h1', { hasText: 'Agents' }).waitFor();
  await tabTo((f) => f.testid === 'agent-name-input', 'the name field');
  await page.keyboard.type(kbAgent);
  await tabTo((f) => f.testid === 'agent-create', 'Create agent');
  await press('Enter', 'Create agent');
  await page.locator('[data-testid="agent-row"]', { hasText: kbAgent }).waitFor();
  await mustFocus('the agent was created');
});

step('keyboard only: connect', async () => {
  await tabTo((f) => f.testid === 'agent-connect' && kbRow(f), 'Connect', true);
  await press('Enter', 'Connect');
  await stateIs(/^Connected$/, Math.max(T, 120000));
  const kb = page.locator('[data-testid="agent-row"]', { hasText: kbAgent });
  await kb.getByTestId('agent-disconnect').waitFor();
  await page.waitForTimeout(300);
  const f = await mustFocus('connecting');
  assert(kbRow(f), `after Connect the focus is on "${f.name}" outside the agent's row`);
});

step('keyboard only: chat', async () => {
  await tabTo((f) => f.testid === 'nav-chat', 'the Chat link', true);
  await press('Enter', 'opening Chat');
  await tabTo((f) => f.testid === 'chat-input', 'the message field');
  const text = `typed ${Date.now()}`;
  await page.keyboard.type(text);
  await press('Enter', 'sending');
  await page.locator('[data-testid="chat-message"][data-role="agent"]', { hasText: `[echo] ${text}` }).waitFor();
  await mustFocus('the reply');
});

step('keyboard only: snapshot and restore', async () => {
  await tabTo((f) => f.testid === 'nav-agents', 'the Agents link', true);
  await press('Enter', 'opening Agents');
  await page.locator('h1', { hasText: 'Agents' }).waitFor();
  const kb = page.locator('[data-testid="agent-row"]', { hasText: kbAgent });
  await tabTo((f) => f.testid === 'agent-backups' && kbRow(f), 'Backups');
  await press('Space', 'opening Backups');
  const panel = kb.getByTestId('backups-panel');
  await panel.waitFor();
  const before = await panel.getByTestId('backup-row').count();
  await tabTo((f) => f.testid === 'snapshot-now' && kbRow(f), 'Snapshot now');
  await press('Space', 'Snapshot now');
  await panel.getByTestId('backup-row').nth(before).waitFor();
  await panel.getByTestId('snapshot-now').filter({ hasText: 'Snapshot now' }).waitFor();
  await mustFocus('the snapshot');
  await tabTo((f) => f.name === 'Restore' && kbRow(f), 'Restore');
  await press('Enter', 'Restore');
  await byId('confirm-dialog').getByText(/replaced by the backup/).waitFor();
  assert((await focused())?.testid === 'confirm-cancel', 'the dialog did not focus Cancel');
  await press('Escape', 'Escape in the dialog');
  assert((await focused())?.name === 'Restore', 'Escape did not return the focus to Restore');
  await press('Enter', 'Restore again');
  await byId('confirm-dialog').getByText(/replaced by the backup/).waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'confirm-cancel');
  await tabTo((f) => f.testid === 'confirm-ok', 'the dialog\'s Restore');
  await press('Enter', 'confirming Restore');
  await byId('notice').filter({ hasText: `${kbAgent} was restored` }).waitFor();
  await mustFocus('the restore');
});

step('keyboard only: log out asks first, then says so', async () => {
  await tabTo((f) => f.testid === 'nav-settings', 'the Settings link', true);
  await press('Enter', 'opening Settings');
  await tabTo((f) => f.testid === 'logout-button', 'Log out');
  await press('Enter', 'Log out');
  await byId('confirm-dialog').getByText(/disconnected after a final backup/).waitFor();
  await a11y('log out dialog');
  await press('Escape', 'Escape');
  assert((await focused())?.testid === 'logout-button', 'Escape did not return the focus to Log out');
  assert(await byId('nav-settings').isVisible(), 'Escape logged out');
  await press('Enter', 'Log out again');
  await byId('confirm-dialog').getByText(/disconnected after a final backup/).waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'confirm-cancel');
  await tabTo((f) => f.testid === 'confirm-ok', 'the dialog\'s Log out');
  await press('Enter', 'confirming Log out');
  await byId('login-button').waitFor({ timeout: Math.max(T, 60000) });
  await byId('notice').filter({ hasText: /^Logged out/ }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await mustFocus('logging out');
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
