import { describe, expect, it, vi } from 'vitest';
import {
  backoffMs,
  stallTimeoutMs,
  BackendError,
  CHAT_CHUNK_EVENT,
  createBackend,
  createRestBackend,
  createWailsBackend,
  transportOf,
  type HostWindow,
  type RestDeps,
  type WailsApp,
  type WailsRuntime,
} from './backend';
import { EVENT_TYPES, type AppEvent } from './types';
import { snap } from './fixtures.test-util';

// ------------------------------------------------------------ Wails

function fakeRuntime() {
  const handlers = new Map<string, Set<(...d: unknown[]) => void>>();
  const rt: WailsRuntime = {
    EventsOn(name, cb) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name)!.add(cb);
      return () => handlers.get(name)!.delete(cb);
    },
  };
  const emit = (name: string, ...data: unknown[]) => handlers.get(name)?.forEach((h) => h(...data));
  const count = (name: string) => handlers.get(name)?.size ?? 0;
  return { rt, emit, count };
}

function fakeApp(over: Partial<WailsApp> = {}): WailsApp {
  return new Proxy(over as WailsApp, {
    get(target, prop: string) {
      if (prop in target) return target[prop as keyof WailsApp];
      return vi.fn(async () => undefined);
    },
  });
}

describe('transport choice', () => {
  it('uses the bindings when window.go.desktop.App exists, else REST', () => {
    expect(transportOf({ go: { desktop: { App: fakeApp() } } })).toBe('wails');
    expect(transportOf({})).toBe('rest');
    expect(transportOf({ go: {} })).toBe('rest');
    expect(transportOf({ go: { desktop: {} } })).toBe('rest');
  });

  it('createBackend picks the same way', () => {
    const { rt } = fakeRuntime();
    const win = { go: { desktop: { App: fakeApp() } }, runtime: rt, fetch: vi.fn(), open: vi.fn() };
    expect(createBackend(win as unknown as Window & HostWindow, () => null).kind).toBe('wails');
    const plain = { fetch: vi.fn(), open: vi.fn() };
    expect(createBackend(plain as unknown as Window & HostWindow, () => null).kind).toBe('rest');
  });
});

describe('Wails backend', () => {
  it('calls the bound methods with their arguments', async () => {
    const { rt } = fakeRuntime();
    const RestoreAgent = vi.fn(async () => ({ restoredFromBackupId: 'b1', snapshotType: 'manual', createdAt: 'x' }));
    const CreateAgent = vi.fn(async () => ({ id: 'a9' }));
    const GetCredits = vi.fn(async () => ({ connected: true, balance: 3 }));
    const b = createWailsBackend(fakeApp({ RestoreAgent, CreateAgent, GetCredits } as unknown as Partial<WailsApp>), rt);
    expect(b.kind).toBe('wails');
    await b.restoreAgent('a1', 'b1');
    expect(RestoreAgent).toHaveBeenCalledWith('a1', 'b1');
    await b.createAgent({ agentName: 'n', environmentVars: { A: '1' } });
    expect(CreateAgent).toHaveBeenCalledWith({ agentName: 'n', environmentVars: { A: '1' } });
    expect((await b.getCredits(true)).balance).toBe(3);
    expect(GetCredits).toHaveBeenCalledWith(true);
  });

  it('turns a rejection with a bare string into an Error with that message', async () => {
    const { rt } = fakeRuntime();
    const b = createWailsBackend(
      fakeApp({ ConnectAgent: () => Promise.reject('Not connected to Eliza Cloud') } as Partial<WailsApp>),
      rt,
    );
    await expect(b.connectAgent('a1')).rejects.toThrow(new BackendError('Not connected to Eliza Cloud'));
    await expect(b.connectAgent('a1')).rejects.toBeInstanceOf(Error);
  });

  it('maps null lists (Go nil slices) to empty arrays', async () => {
    const { rt } = fakeRuntime();
    const b = createWailsBackend(fakeApp({ ListAgents: async () => null } as Partial<WailsApp>), rt);
    expect(await b.listAgents()).toEqual([]);
  });

  it('forwards every runtime event type and stops on unsubscribe', () => {
    const { rt, emit, count } = fakeRuntime();
    const b = createWailsBackend(fakeApp(), rt);
    const got: AppEvent[] = [];
    const live = vi.fn();
    const stop = b.subscribe((ev) => got.push(ev), live);
    expect(live).toHaveBeenCalledWith('open');
    for (const t of EVENT_TYPES) expect(count(t)).toBe(1);
    emit('state', snap());
    emit('credits', { balance: 1.5, low: true });
    expect(got.map((e) => e.type)).toEqual(['state', 'credits']);
    expect(got[1].data).toEqual({ balance: 1.5, low: true });
    stop();
    for (const t of EVENT_TYPES) expect(count(t)).toBe(0);
  });

  it('falls back to EventsOff when EventsOn returns nothing', () => {
    const off = vi.fn();
    const rt: WailsRuntime = { EventsOn: () => undefined, EventsOff: off };
    const stop = createWailsBackend(fakeApp(), rt).subscribe(() => {});
    stop();
    expect(off).toHaveBeenCalledTimes(EVENT_TYPES.length);
  });

  it('streams chat chunks of its own request only, then unsubscribes', async () => {
    const { rt, emit, count } = fakeRuntime();
    let finish: (v: { text: string; agentId: string }) => void = () => {};
    let reqId = '';
    const StreamChat = vi.fn((id: string) => {
      reqId = id;
      return new Promise<{ text: string; agentId: string }>((r) => (finish = r));
    });
    const b = createWailsBackend(fakeApp({ StreamChat } as Partial<WailsApp>), rt);
    const chunks: string[] = [];
    const p = b.streamChat('hi', 'web-chat', (c) => chunks.push(c));
    expect(StreamChat).toHaveBeenCalledWith(reqId, 'hi', 'web-chat');
    expect(reqId).not.toBe('');
    emit(CHAT_CHUNK_EVENT, { requestId: reqId, text: '[echo] ' });
    emit(CHAT_CHUNK_EVENT, { requestId: 'someone-else', text: 'nope' });
    emit(CHAT_CHUNK_EVENT, { requestId: reqId, text: 'hi' });
    finish({ text: '[echo] hi', agentId: 'a1' });
    expect(await p).toEqual({ text: '[echo] hi', agentId: 'a1' });
    expect(chunks).toEqual(['[echo] ', 'hi']);
    expect(count(CHAT_CHUNK_EVENT)).toBe(0);
  });

  it('binds top-up, usage, open agent, the idle-backup setting and the honest log-out', async () => {
    const { rt } = fakeRuntime();
    const TopUp = vi.fn(async () => ({ ok: true, url: 'https://cloud.test/checkout/cs_1' }));
    const GetUsage = vi.fn(async () => ({ transactions: null, hours: 24, spent: 0, added: 0, burnRatePerHour: null }));
    const OpenAgent = vi.fn(async () => undefined);
    const SetBackupSkipWhenIdle = vi.fn(async () => undefined);
    const Logout = vi.fn(async () => ({ ok: true, status: 'disconnected', keyStillValid: true, revokeUrl: 'https://cloud.test/dashboard/api-keys' }));
    const b = createWailsBackend(fakeApp({ TopUp, GetUsage, OpenAgent, SetBackupSkipWhenIdle, Logout } as unknown as Partial<WailsApp>), rt);
    expect((await b.topUp(25)).url).toBe('https://cloud.test/checkout/cs_1');
    expect(TopUp).toHaveBeenCalledWith(25);
    await b.getUsage();
    expect(GetUsage).toHaveBeenCalledWith(0, 0); // the app's defaults
    await b.getUsage(168, 50);
    expect(GetUsage).toHaveBeenLastCalledWith(168, 50);
    await b.openAgent('a1');
    expect(OpenAgent).toHaveBeenCalledWith('a1');
    await b.setBackupSkipWhenIdle(false);
    expect(SetBackupSkipWhenIdle).toHaveBeenCalledWith(false);
    expect((await b.logout()).revokeUrl).toBe('https://cloud.test/dashboard/api-keys');
  });

  it('answers loginStatus from the snapshot', async () => {
    const { rt } = fakeRuntime();
    let s = snap({ loggedIn: false, login: { status: 'pending' } });
    const b = createWailsBackend(fakeApp({ GetSnapshot: async () => s } as Partial<WailsApp>), rt);
    expect((await b.loginStatus('x')).status).toBe('pending');
    s = snap({ loggedIn: true });
    expect((await b.loginStatus('x')).status).toBe('authenticated');
  });
});

// ------------------------------------------------------------ REST

type FetchCall = { url: string; init: RequestInit };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function sseResponse(chunks: string[], keepOpen = false): Response {
  const enc = new TextEncoder();
  return new Response(
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(enc.encode(ch));
        if (!keepOpen) c.close();
      },
    }),
    { status: 200, headers: { 'Content-Type': 'text/event-stream' } },
  );
}

function restWith(handler: (url: string, init: RequestInit) => Response | Promise<Response>, over: Partial<RestDeps> = {}) {
  const calls: FetchCall[] = [];
  const fetchFn = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return handler(String(url), init ?? {});
  });
  const b = createRestBackend({ fetch: fetchFn as unknown as typeof fetch, token: () => null, open: vi.fn(() => null), ...over });
  return { b, calls };
}

describe('REST backend', () => {
  it('sends JSON bodies ({} when there are no parameters) and unwraps answers', async () => {
    const { b, calls } = restWith((url) => {
      if (url === '/api/cloud/agents') return json(200, { ok: true, agents: [{ id: 'a1' }] });
      return json(200, { ok: true, agentId: 'a1', status: 'connected' });
    });
    expect(await b.listAgents()).toEqual([{ id: 'a1' }]);
    expect(calls[0].init.method).toBe('GET');
    expect(calls[0].init.body).toBeUndefined();
    await b.connectAgent('a1');
    expect(calls[1].url).toBe('/api/cloud/agents/a1/connect');
    expect(calls[1].init.method).toBe('POST');
    expect(calls[1].init.body).toBe('{}');
  });

  it('uses the documented paths and bodies', async () => {
    const restore = { restoredFromBackupId: 'b1', snapshotType: 'manual', createdAt: '2026-03-01T12:00:00Z' };
    const { b, calls } = restWith(() => json(200, { ok: true, samples: [], backups: [], agent: {}, restore }));
    await b.getCredits(true);
    await b.getCredits(false);
    await b.getCreditHistory();
    await b.restoreAgent('a1', 'b1');
    await b.setStartAtLogin(true);
    await b.loginStatus('s 1');
    await b.logout();
    await b.cancelLogin();
    await b.chatHistory('web-chat');
    expect(calls.map((c) => `${c.init.method} ${c.url} ${c.init.body ?? ''}`)).toEqual([
      'GET /api/cloud/credits?fresh=1 ',
      'GET /api/cloud/credits ',
      'GET /api/cloud/credits/history ',
      'POST /api/cloud/agents/a1/restore {"backupId":"b1"}',
      'POST /api/settings {"startAtLogin":true}',
      'GET /api/cloud/login/status?sessionId=s%201 ',
      'POST /api/cloud/disconnect {}',
      'POST /api/cloud/login/cancel {}',
      'GET /api/chat/history?roomId=web-chat ',
    ]);
  });

  it('uses the paths and bodies of top-up, usage, open agent and the idle-backup setting', async () => {
    const { b, calls } = restWith((url) =>
      url.startsWith('/api/cloud/topup')
        ? json(200, { ok: true, url: 'https://cloud.test/checkout/cs_1' })
        : url.startsWith('/api/cloud/usage')
          ? json(200, { transactions: [], hours: 24, spent: 0, added: 0, burnRatePerHour: null })
          : json(200, { ok: true, status: 'disconnected', keyStillValid: true, revokeUrl: 'https://cloud.test/dashboard/api-keys' }),
    );
    expect(await b.topUp(25)).toEqual({ ok: true, url: 'https://cloud.test/checkout/cs_1' });
    expect((await b.getUsage(168, 50)).hours).toBe(24);
    await b.getUsage();
    await b.openAgent('a/1');
    await b.setBackupSkipWhenIdle(false);
    expect((await b.logout()).revokeUrl).toBe('https://cloud.test/dashboard/api-keys');
    expect(calls.map((c) => `${c.init.method} ${c.url} ${c.init.body ?? ''}`)).toEqual([
      'POST /api/cloud/topup {"credits":25}',
      'GET /api/cloud/usage?hours=168&limit=50 ',
      'GET /api/cloud/usage ',
      'POST /api/cloud/agents/a%2F1/open {}',
      'POST /api/settings {"backupSkipWhenIdle":false}',
      'POST /api/cloud/disconnect {}',
    ]);
  });

  it('throws the {error} message with the status and body', async () => {
    const { b } = restWith(() => json(402, { error: 'Insufficient credits', requiredBalance: 5, currentBalance: 1.5 }));
    const err = await b.createAgent({ agentName: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toBe('Insufficient credits');
    expect((err as BackendError).status).toBe(402);
    expect((err as BackendError).body.requiredBalance).toBe(5);
  });

  it('explains non-JSON failures and an unreachable app', async () => {
    const { b } = restWith(() => new Response('bad gateway', { status: 502 }));
    await expect(b.listAgents()).rejects.toThrow('HTTP 502: bad gateway');
    const down = createRestBackend({
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
      token: () => null,
      open: () => null,
    });
    await expect(down.listAgents()).rejects.toThrow(/Cannot reach Milady Cloud/);
  });

  it('sends the API token as a Bearer header', async () => {
    const { b, calls } = restWith(() => json(200, { agents: [] }), { token: () => 'tok' });
    await b.listAgents();
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('opens the login tab before the request and then navigates it', async () => {
    const popup = { location: { href: '' }, opener: {} as unknown, close: vi.fn() };
    const open = vi.fn(() => popup as unknown as Window);
    let openedBeforeFetch = false;
    const { b } = restWith(
      () => {
        openedBeforeFetch = open.mock.calls.length === 1;
        return json(200, { ok: true, sessionId: 's1', browserUrl: 'https://sim/auth/cli-login?session=s1' });
      },
      { open },
    );
    const r = await b.login();
    expect(openedBeforeFetch).toBe(true);
    expect(popup.location.href).toBe('https://sim/auth/cli-login?session=s1');
    expect(popup.opener).toBeNull();
    expect(r).toEqual({ ok: true, sessionId: 's1', browserUrl: 'https://sim/auth/cli-login?session=s1', popupBlocked: false });
  });

  it('reports a blocked popup, and closes the tab when the login cannot start', async () => {
    const blocked = restWith(() => json(200, { ok: true, sessionId: 's1', browserUrl: 'u' }));
    expect((await blocked.b.login()).popupBlocked).toBe(true);
    const popup = { location: { href: '' }, opener: null, close: vi.fn() };
    const failing = restWith(() => json(502, { error: 'Failed to reach Eliza Cloud' }), {
      open: () => popup as unknown as Window,
    });
    await expect(failing.b.login()).rejects.toThrow('Failed to reach Eliza Cloud');
    expect(popup.close).toHaveBeenCalled();
  });

  it('streams chat chunks as they arrive and resolves with the whole reply', async () => {
    const { b, calls } = restWith(() =>
      sseResponse(['event: chunk\ndata: {"text":"[echo] "}\n', '\nevent: chu', 'nk\ndata: {"text":"hi"}\n\nevent: done\ndata: {"agentId":"a1"}\n\n']),
    );
    const chunks: string[] = [];
    const r = await b.streamChat('hi', 'web-chat', (c) => chunks.push(c));
    expect(calls[0].url).toBe('/api/chat/stream');
    expect(calls[0].init.body).toBe('{"text":"hi","roomId":"web-chat"}');
    expect(chunks).toEqual(['[echo] ', 'hi']);
    expect(r).toEqual({ text: '[echo] hi', agentId: 'a1' });
  });

  it('fails a chat stream on an error event, a cut-off stream, or a JSON refusal', async () => {
    const err = restWith(() => sseResponse(['event: chunk\ndata: {"text":"x"}\n\nevent: error\ndata: {"error":"Agent runtime not ready"}\n\n']));
    await expect(err.b.streamChat('hi', 'r', () => {})).rejects.toThrow('Agent runtime not ready');
    const cut = restWith(() => sseResponse(['event: chunk\ndata: {"text":"x"}\n\n']));
    await expect(cut.b.streamChat('hi', 'r', () => {})).rejects.toThrow(/cut off/);
    const refused = restWith(() => json(409, { error: 'Not connected to an agent' }));
    await expect(refused.b.streamChat('hi', 'r', () => {})).rejects.toThrow('Not connected to an agent');
  });

  it('pulls the snapshot from GET /api/cloud/snapshot', async () => {
    const { b, calls } = restWith(() => json(200, snap({ version: '9.9' })));
    const s = await b.getSnapshot();
    expect(s.version).toBe('9.9');
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual(['GET /api/cloud/snapshot']);
  });

  it('unwraps the envelopes the Go handlers write (restore, backup, agent)', async () => {
    const restore = { restoredFromBackupId: 'b7', snapshotType: 'manual', createdAt: '2026-03-01T12:00:00Z' };
    const backup = { id: 'b7', snapshotType: 'manual', sizeBytes: 12, createdAt: '2026-03-01T12:00:00Z' };
    const { b } = restWith((url) => {
      if (url.endsWith('/restore')) return json(200, { ok: true, restore });
      if (url.endsWith('/snapshot')) return json(200, { ok: true, backup });
      return json(200, { ok: true, agent: { id: 'a1', agentName: 'Ada' } });
    });
    expect(await b.restoreAgent('a1', '')).toEqual(restore);
    expect(await b.snapshotAgent('a1')).toEqual(backup);
    expect((await b.getAgent('a1')).agentName).toBe('Ada');
  });

  it('says so when an answer lacks the object it must carry', async () => {
    const { b } = restWith(() => json(200, { ok: true }));
    await expect(b.restoreAgent('a1', '')).rejects.toThrow('The app answered without the restore result.');
  });

  it('opens an external link in a new tab without an opener', async () => {
    const open = vi.fn(() => null);
    const { b } = restWith(() => json(200, {}), { open });
    await b.openURL('https://cloud.test/dashboard/api-keys');
    expect(open).toHaveBeenCalledWith('https://cloud.test/dashboard/api-keys', '_blank', 'noopener');
  });
});

// ------------------------------------------------------------ REST events

class FakeEventSource {
  static all: FakeEventSource[] = [];
  listeners = new Map<string, (e: MessageEvent) => void>();
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, cb: (e: MessageEvent) => void) {
    this.listeners.set(type, cb);
  }
  close() {
    this.closed = true;
  }
  fire(type: string, data: unknown) {
    this.listeners.get(type)?.({ data: JSON.stringify(data) } as MessageEvent);
  }
}

describe('REST event stream', () => {
  it('uses EventSource without a token, delivers typed events, reconnects with backoff', () => {
    FakeEventSource.all = [];
    const timers: { cb: () => void; ms: number }[] = [];
    const b = createRestBackend({
      fetch: vi.fn() as unknown as typeof fetch,
      token: () => null,
      open: () => null,
      EventSource: FakeEventSource as unknown as typeof EventSource,
      setTimeout: (cb, ms) => timers.push({ cb, ms }),
      clearTimeout: () => {},
    });
    const got: AppEvent[] = [];
    const live: string[] = [];
    const stop = b.subscribe((ev) => got.push(ev), (s) => live.push(s));
    const es = FakeEventSource.all[0];
    expect(es.url).toBe('/api/cloud/events');
    for (const t of EVENT_TYPES) expect(es.listeners.has(t)).toBe(true);
    es.onopen?.();
    es.fire('snapshot', snap());
    es.fire('credits', { balance: 1.5 });
    expect(got.map((e) => e.type)).toEqual(['snapshot', 'credits']);

    es.onerror?.();
    expect(es.closed).toBe(true);
    es.onerror?.(); // a second error of the same source is harmless
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000]);
    timers.shift()!.cb();
    const es2 = FakeEventSource.all[1];
    es2.onerror?.();
    expect(timers.map((t) => t.ms)).toEqual([2000, 4000]);
    expect(live).toEqual(['connecting', 'open', 'down', 'down', 'connecting', 'down']);
    stop();
    expect(es2.closed).toBe(true);
  });

  it('reads events with fetch and the Bearer header when a token is set', async () => {
    FakeEventSource.all = [];
    const seen: AppEvent[] = [];
    let auth = '';
    const fetchFn = vi.fn(async (_url: string, init: RequestInit) => {
      auth = (init.headers as Record<string, string>).Authorization;
      return sseResponse([`event: snapshot\ndata: ${JSON.stringify(snap())}\n\n: ping\n\nevent: heartbeat\ndata: {"agentId":"a1","at":"t"}\n\n`], true);
    });
    const b = createRestBackend({
      fetch: fetchFn as unknown as typeof fetch,
      token: () => 'secret',
      open: () => null,
      EventSource: FakeEventSource as unknown as typeof EventSource,
    });
    const stop = b.subscribe((ev) => seen.push(ev));
    await vi.waitFor(() => expect(seen.length).toBe(2));
    expect(FakeEventSource.all).toHaveLength(0);
    expect(auth).toBe('Bearer secret');
    expect(seen[1]).toEqual({ type: 'heartbeat', data: { agentId: 'a1', at: 't' } });
    stop();
  });

  it('drops a stream that stays silent past a ping interval (a hung app) and retries', async () => {
    const timers: { cb: () => void; ms: number; cleared: boolean }[] = [];
    const lives: string[] = [];
    const fetchFn = vi.fn(async () => {
      const r = sseResponse([`event: snapshot\ndata: ${JSON.stringify(snap())}\n\n`], true);
      return new Response(r.body, { status: 200, headers: { 'X-Ping-Interval-Ms': '1000' } });
    });
    const b = createRestBackend({
      fetch: fetchFn as unknown as typeof fetch,
      token: () => null,
      open: () => null,
      setTimeout: (cb, ms) => {
        const t = { cb, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimeout: (h) => {
        (h as { cleared: boolean }).cleared = true;
      },
    });
    const stop = b.subscribe(() => undefined, (l) => lives.push(l));
    await vi.waitFor(() => expect(timers.some((t) => !t.cleared && t.ms === 4000)).toBe(true));
    expect(lives).toEqual(['connecting', 'open']);
    // Nothing arrives: the watchdog fires.
    timers.filter((t) => !t.cleared && t.ms === 4000).forEach((t) => t.cb());
    await vi.waitFor(() => expect(lives).toContain('down'));
    // And the stream is retried after the backoff.
    timers.filter((t) => !t.cleared && t.ms === 1000).forEach((t) => t.cb());
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(2));
    stop();
    expect(stallTimeoutMs(null)).toBe(18750);
    expect(stallTimeoutMs('abc')).toBe(18750);
  });

  it('backs off 1 s doubling to at most 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
