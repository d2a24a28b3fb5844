// A stand-in for `milady-cloud --headless --sim` for working on the
// dashboard alone: it serves dist/ and fakes the REST API, its event stream,
// the simulator's login page and the /__sim control API on one plain-HTTP
// port. It is a development aid; the real e2e runs against the real app.
//
//   node e2e/mock-server.mjs [port]     (default 5199)
//   MILADY_E2E_URL=http://127.0.0.1:5199 MILADY_SIM_URL=http://127.0.0.1:5199 node e2e/run.mjs

import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const port = Number(process.argv[2] ?? process.env.PORT ?? 5199);
const origin = `http://127.0.0.1:${port}`;
const TOPUP = 'https://www.elizacloud.ai/dashboard/settings?tab=billing';

const now = () => new Date().toISOString();
const st = {
  loggedIn: false,
  conn: { state: 'disconnected', since: now() },
  balance: 25,
  login: { status: 'idle' },
  settings: { baseUrl: origin, notifications: true, startAtLogin: false, configPath: '/tmp/milady.json', backupSkipWhenIdle: true },
  samples: [],
  sessions: new Map(),
  agents: [],
  backups: new Map(),
  chat: [],
  hbFail: 0,
};

function credits() {
  const b = st.loggedIn ? st.balance : null;
  const level = b === null ? '' : b < 0.5 ? 'critical' : b < 2 ? 'low' : 'ok';
  return { balance: b, level, low: level === 'low' || level === 'critical', critical: level === 'critical', topUpUrl: TOPUP, updatedAt: now() };
}

function snapshot() {
  return {
    version: 'mock', sim: true, baseUrl: origin, loggedIn: st.loggedIn,
    keyPrefix: st.loggedIn ? 'eliza_mock12' : undefined,
    connection: st.conn, credits: credits(), login: st.login,
    lastAgentId: st.conn.agentId, lastAgentName: st.conn.agentName,
    settings: st.settings, desktop: false, trayAvailable: false, identityChecked: true,
  };
}

const clients = new Set();
function emit(type, data) {
  const msg = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const c of clients) c.write(msg);
}
function setConn(c) {
  st.conn = { since: now(), ...c };
  emit('state', snapshot());
}
function setBalance(b) {
  const before = credits().level;
  st.balance = b;
  st.samples.push({ at: now(), balance: b });
  emit('credits', credits());
  const after = credits().level;
  if (after !== before && (after === 'low' || after === 'critical')) {
    emit('notice', { kind: 'credits', level: after === 'critical' ? 'critical' : 'warning', message: `Balance ${after}: $${b.toFixed(2)}`, at: now() });
  }
}

// Seed a week of history so the chart and the burn rate have something.
for (let i = 7 * 24; i >= 1; i -= 6) st.samples.push({ at: new Date(Date.now() - i * 3600e3).toISOString(), balance: 25 + i * 0.01 });

setInterval(() => {
  if (st.conn.state !== 'connected') return;
  if (st.hbFail > 0) {
    st.hbFail--;
    if (st.hbFail === 0) reconnect();
    return;
  }
  st.conn = { ...st.conn, lastHeartbeatAt: now() };
  emit('heartbeat', { agentId: st.conn.agentId, at: st.conn.lastHeartbeatAt });
}, 700);

function reconnect() {
  const { agentId, agentName } = st.conn;
  setConn({ state: 'reconnecting', agentId, agentName, reconnectAttempt: 1, maxReconnectAttempts: 10 });
  setTimeout(() => setConn({ state: 'reconnecting', agentId, agentName, reconnectAttempt: 2, maxReconnectAttempts: 10 }), 800);
  setTimeout(() => setConn({ state: 'connected', agentId, agentName }), 1800);
}

const json = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
};
const body = async (req) => {
  let s = '';
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : {};
};
const agentById = (id) => st.agents.find((a) => a.id === id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Mirrors the simulator's page: #approve, and #result that says "approved".
const LOGIN_PAGE = (id) => `<!doctype html><meta charset=utf-8><title>Eliza Cloud (mock) login</title>
<h1>Approve login</h1><p>Session ${id}</p><button id=approve>Approve</button><p id=result role=status></p>
<script>approve.onclick=async()=>{const r=await fetch('/__sim/approve?session=${id}',{method:'POST'});
result.textContent=r.ok?'Login approved. You can close this tab.':'Approval failed'}</script>`;

async function api(req, res, url) {
  const p = url.pathname;
  const m = req.method;
  const agentMatch = p.match(/^\/api\/cloud\/agents\/([0-9a-f-]{36})(?:\/(\w+))?$/);
  if (p === '/api/health') return json(res, 200, { ok: true, app: 'milady-cloud', version: 'mock' });
  if (p === '/api/cloud/snapshot') return json(res, 200, snapshot());
  if (p === '/api/cloud/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
    return;
  }
  if (p === '/api/cloud/login' && m === 'POST') {
    const id = randomUUID();
    st.sessions.set(id, 'pending');
    st.login = { status: 'pending', sessionId: id, browserUrl: `${origin}/auth/cli-login?session=${id}` };
    emit('login', { status: 'pending' });
    return json(res, 200, { ok: true, sessionId: id, browserUrl: st.login.browserUrl });
  }
  if (p === '/api/cloud/login/status') return json(res, 200, { status: st.sessions.get(url.searchParams.get('sessionId')) ?? 'expired' });
  if (p === '/api/cloud/login/cancel') {
    st.login = { status: 'cancelled' };
    emit('login', { status: 'cancelled' });
    return json(res, 200, { ok: true });
  }
  if (p === '/api/cloud/disconnect') {
    st.loggedIn = false;
    st.login = { status: 'idle' };
    setConn({ state: 'disconnected' });
    return json(res, 200, { ok: true, status: 'disconnected' });
  }
  if (!st.loggedIn && (p.startsWith('/api/cloud/agents') || p.startsWith('/api/chat'))) return json(res, 401, { error: 'Not connected to Eliza Cloud' });
  if (p === '/api/cloud/credits') return json(res, 200, { connected: st.loggedIn, ...credits() });
  if (p === '/api/cloud/credits/history') return json(res, 200, { ok: true, samples: st.samples });
  if (p === '/api/settings') {
    Object.assign(st.settings, await body(req));
    emit('settings', st.settings);
    return json(res, 200, { ok: true });
  }
  if (p === '/api/cloud/agents' && m === 'GET') return json(res, 200, { ok: true, agents: st.agents });
  if (p === '/api/cloud/agents' && m === 'POST') {
    const b = await body(req);
    if (typeof b.agentName !== 'string' || !b.agentName.trim()) return json(res, 400, { error: 'agentName is required' });
    if (st.balance < 5) return json(res, 402, { error: 'Insufficient credits', requiredBalance: 5, currentBalance: st.balance });
    const a = { id: randomUUID(), agentName: b.agentName, status: 'pending', lastBackupAt: null, lastHeartbeatAt: null, errorMessage: null, createdAt: now(), updatedAt: now() };
    st.agents.push(a);
    st.backups.set(a.id, []);
    return json(res, 201, { ok: true, agent: a });
  }
  if (agentMatch) {
    const [, id, action] = agentMatch;
    const a = agentById(id);
    if (!a) return json(res, 404, { error: 'Agent not found' });
    const backup = (type) => {
      const bk = { id: randomUUID(), snapshotType: type, sizeBytes: 20480 + Math.floor(Math.random() * 9000), createdAt: now() };
      st.backups.get(id).push(bk);
      a.lastBackupAt = bk.createdAt;
      st.conn = { ...st.conn, lastBackupAt: bk.createdAt };
      emit('backup', { agentId: id, ok: true, backupId: bk.id });
      return bk;
    };
    switch (action) {
      case undefined:
        return json(res, 200, { ok: true, agent: a });
      case 'connect':
        if (st.conn.agentId && st.conn.agentId !== id && st.conn.state !== 'disconnected') setConn({ state: 'disconnected' });
        setConn({ state: 'connecting', agentId: id, agentName: a.agentName });
        a.status = 'provisioning';
        await sleep(600);
        a.status = 'running';
        setConn({ state: 'connected', agentId: id, agentName: a.agentName, lastHeartbeatAt: now() });
        return json(res, 200, { ok: true, agentId: id, agentName: a.agentName, status: 'connected' });
      case 'disconnect':
        if (st.conn.agentId === id) {
          backup('auto');
          setConn({ state: 'disconnected' });
        }
        return json(res, 200, { ok: true });
      case 'shutdown':
        if (st.conn.agentId === id) setConn({ state: 'disconnected' });
        st.agents = st.agents.filter((x) => x.id !== id);
        return json(res, 200, { ok: true, agentId: id, status: 'stopped' });
      case 'suspend':
        a.status = 'stopped';
        if (st.conn.agentId === id) setConn({ state: 'disconnected' });
        return json(res, 200, { ok: true });
      case 'resume':
        a.status = 'running';
        return json(res, 200, { ok: true });
      case 'backups':
        return json(res, 200, { ok: true, backups: st.backups.get(id) });
      case 'snapshot':
        return json(res, 200, { ok: true, backup: backup('manual') });
      case 'restore': {
        const b = await body(req);
        return json(res, 200, { ok: true, restore: { restoredFromBackupId: b.backupId, snapshotType: 'manual', createdAt: now() } });
      }
      default:
        return json(res, 404, { error: 'Not found' });
    }
  }
  if (p === '/api/chat/history') return json(res, 200, { ok: true, messages: st.chat });
  if (p === '/api/chat/stream' || p === '/api/chat') {
    if (st.conn.state !== 'connected') return json(res, 409, { error: 'Not connected to an agent. Connect one on the Agents page first.' });
    const { text } = await body(req);
    const agentId = st.conn.agentId;
    st.chat.push({ at: now(), agentId, roomId: 'web-chat', role: 'user', text });
    const reply = `[echo] ${text}`;
    st.chat.push({ at: now(), agentId, roomId: 'web-chat', role: 'agent', text: reply });
    setBalance(Math.round((st.balance - 0.01) * 100) / 100);
    if (p === '/api/chat') return json(res, 200, { text: reply, agentId });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    for (const piece of reply.match(/\S+\s*/g) ?? []) {
      res.write(`event: chunk\ndata: ${JSON.stringify({ text: piece })}\n\n`);
      await sleep(120);
    }
    res.end(`event: done\ndata: ${JSON.stringify({ agentId })}\n\n`);
    return;
  }
  return json(res, 404, { error: 'Not found' });
}

async function sim(req, res, url) {
  const p = url.pathname;
  if (p === '/__sim/approve') {
    const id = url.searchParams.get('session');
    if (st.sessions.get(id) !== 'pending') return json(res, 400, { error: 'Invalid or expired session' });
    st.sessions.set(id, 'authenticated');
    // The real app learns this by polling; the mock does it at once.
    setTimeout(() => {
      st.loggedIn = true;
      st.login = { status: 'authenticated', keyPrefix: 'eliza_mock12' };
      emit('login', { status: 'authenticated', keyPrefix: 'eliza_mock12' });
      emit('credits', credits());
    }, 300);
    return json(res, 200, { success: true });
  }
  if (p === '/__sim/balance') {
    setBalance(Number((await body(req)).balance));
    return json(res, 200, { ok: true, balance: st.balance });
  }
  if (p === '/__sim/heartbeat') {
    st.hbFail = Number((await body(req)).fail ?? 0);
    return json(res, 200, { ok: true });
  }
  return json(res, 404, { error: 'Not found' });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.txt': 'text/plain' };

createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  try {
    if (url.pathname.startsWith('/api/')) return await api(req, res, url);
    if (url.pathname.startsWith('/__sim/')) return await sim(req, res, url);
    if (url.pathname === '/auth/cli-login') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(LOGIN_PAGE(url.searchParams.get('session')));
    }
    const rel = normalize(url.pathname === '/' ? '/index.html' : url.pathname).replace(/^(\.\.[/\\])+/, '');
    const data = await readFile(join(DIST, rel));
    res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream' });
    res.end(data);
  } catch (e) {
    if (!res.headersSent) json(res, e.code === 'ENOENT' ? 404 : 500, { error: e.code === 'ENOENT' ? 'Not found' : String(e) });
  }
}).listen(port, '127.0.0.1', () => console.log(`mock milady-cloud at ${origin}/ (sim control at ${origin}/__sim/)`));
