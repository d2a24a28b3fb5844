// The one path from the dashboard to Go (STYLE.md lesson 9). Inside the
// Wails window it calls the bound facade (`window.go.desktop.App`) and
// listens to runtime events; in a browser it uses the REST API and its
// Server-Sent Events on the same origin. Stores and views import only the
// Backend interface, so one bundle serves both.

import { readSSE, type SSEMessage } from './sse';
import {
  EVENT_TYPES,
  type Agent,
  type AgentResponse,
  type AgentsResponse,
  type AppEvent,
  type BalanceSample,
  type Backup,
  type BackupResponse,
  type BackupsResponse,
  type ChatChunk,
  type ChatChunkEvent,
  type ChatDoneEvent,
  type ChatErrorEvent,
  type ChatHistoryResponse,
  type ChatMessage,
  type ChatReply,
  type ConnectResult,
  type CreateAgentRequest,
  type CreditHistoryResponse,
  type CreditsResponse,
  type LoginStart,
  type LoginStatus,
  type LogoutResponse,
  type RestoreResponse,
  type RestoreResult,
  type Snapshot,
  type StatusView,
  type TopUpResponse,
  type UsageResponse,
  type WailsApp,
} from './types';

export type { WailsApp };

/** Whether the event stream is delivering (the REST face can lose it). */
export type LiveState = 'connecting' | 'open' | 'down';

export interface LoginStarted extends LoginStart {
  /** True when the browser refused to open the login tab; show the link. */
  popupBlocked: boolean;
}

export interface Backend {
  readonly kind: 'wails' | 'rest';
  getSnapshot(): Promise<Snapshot>;
  getStatus(): Promise<StatusView>;
  /**
   * login starts a browser login. Call it synchronously from the click
   * handler: in a browser the login tab is opened before the first await so
   * popup blockers treat it as a user action.
   */
  login(): Promise<LoginStarted>;
  /** loginStatus is the polling fallback while a login is pending. */
  loginStatus(sessionId: string): Promise<LoginStatus>;
  cancelLogin(): Promise<void>;
  /** logout forgets the key here; the answer says where to revoke it for good. */
  logout(): Promise<LogoutResponse>;
  getCredits(fresh: boolean): Promise<CreditsResponse>;
  /**
   * topUp asks the app to open the cloud's checkout for `credits` in the
   * system browser (the billing page when checkout fails); it answers with
   * the URL it opened.
   */
  topUp(credits: number): Promise<TopUpResponse>;
  /** getUsage is the cloud's recent credit transactions and the burn rate from them. */
  getUsage(hours?: number, limit?: number): Promise<UsageResponse>;
  /** openAgent opens a running agent's own UI in the system browser (a one-minute pairing link). */
  openAgent(id: string): Promise<void>;
  setBackupSkipWhenIdle(on: boolean): Promise<void>;
  getCreditHistory(): Promise<BalanceSample[]>;
  listAgents(): Promise<Agent[]>;
  createAgent(input: CreateAgentRequest): Promise<Agent>;
  getAgent(id: string): Promise<Agent>;
  connectAgent(id: string): Promise<ConnectResult>;
  disconnectAgent(id: string): Promise<void>;
  shutdownAgent(id: string): Promise<void>;
  suspendAgent(id: string): Promise<void>;
  resumeAgent(id: string): Promise<void>;
  listBackups(id: string): Promise<Backup[]>;
  snapshotAgent(id: string): Promise<Backup>;
  restoreAgent(id: string, backupId: string): Promise<RestoreResult>;
  sendChat(text: string, roomId: string): Promise<ChatReply>;
  /** streamChat calls onChunk with each piece of the reply as it arrives. */
  streamChat(text: string, roomId: string, onChunk: (text: string) => void): Promise<ChatReply>;
  chatHistory(roomId: string): Promise<ChatMessage[]>;
  setNotifications(on: boolean): Promise<void>;
  setStartAtLogin(on: boolean): Promise<void>;
  /** openURL opens an external http(s) link (the webview opens no windows). */
  openURL(url: string): Promise<void>;
  /** reportReady tells the app the dashboard is mounted (window test signal). */
  reportReady(): Promise<void>;
  /** subscribe delivers every event; the returned function stops it. */
  subscribe(onEvent: (ev: AppEvent) => void, onLive?: (s: LiveState) => void): () => void;
}

/** BackendError is a failed call: the server's message, and its status over REST. */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly status = 0,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

/** toError turns whatever a Wails promise rejected with into an Error. */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new BackendError(e);
  if (e && typeof e === 'object' && 'message' in e) return new BackendError(String(e.message));
  return new BackendError(String(e));
}

/**
 * present returns a result the Go side declares nullable (a pointer) but
 * always sets on success; a missing one is the app's fault, said plainly.
 */
function present<T>(v: T | null | undefined, what: string): T {
  if (v === null || v === undefined) throw new BackendError(`The app answered without ${what}.`);
  return v;
}

// ---------------------------------------------------------------- Wails

/** The part of the Wails JS runtime used here. */
export interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): (() => void) | void;
  EventsOff?(name: string, ...more: string[]): void;
}

/** The globals that decide the transport. */
export interface HostWindow {
  go?: { desktop?: { App?: WailsApp } };
  runtime?: WailsRuntime;
}

/** transportOf says which backend a window gets. */
export function transportOf(win: HostWindow): 'wails' | 'rest' {
  return win.go?.desktop?.App ? 'wails' : 'rest';
}

/** Name of the runtime event carrying `{requestId, text}` chat chunks. */
export const CHAT_CHUNK_EVENT = 'chat:chunk';

function newRequestId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `r-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function on(rt: WailsRuntime, name: string, cb: (...data: unknown[]) => void): () => void {
  const off = rt.EventsOn(name, cb);
  if (typeof off === 'function') return off;
  return () => rt.EventsOff?.(name);
}

/** createWailsBackend adapts the bound facade; every rejection becomes an Error. */
export function createWailsBackend(go: WailsApp, rt: WailsRuntime): Backend {
  const call = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (e) {
      throw toError(e);
    }
  };
  const list = async <T>(p: () => Promise<T[] | null>): Promise<T[]> => (await call(p)) ?? [];
  return {
    kind: 'wails',
    getSnapshot: () => call(() => go.GetSnapshot()),
    getStatus: () => call(() => go.GetStatus()),
    login: async () => ({ ...(await call(() => go.Login())), popupBlocked: false }),
    // The window has no login-status binding; the snapshot carries the
    // login's progress, so the fallback poll reads that.
    loginStatus: async () => {
      const s = await call(() => go.GetSnapshot());
      if (s.loggedIn) return { status: 'authenticated', keyPrefix: s.keyPrefix };
      return { status: s.login.status || 'pending', error: s.login.error };
    },
    cancelLogin: () => call(() => go.CancelLogin()),
    logout: () => call(() => go.Logout()),
    getCredits: (fresh) => call(() => go.GetCredits(fresh)),
    topUp: (credits) => call(() => go.TopUp(credits)),
    // 0 asks for the app's defaults (24 hours, 100 transactions).
    getUsage: (hours, limit) => call(() => go.GetUsage(hours ?? 0, limit ?? 0)),
    openAgent: (id) => call(() => go.OpenAgent(id)),
    setBackupSkipWhenIdle: (on) => call(() => go.SetBackupSkipWhenIdle(on)),
    getCreditHistory: () => list(() => go.GetCreditHistory()),
    listAgents: () => list(() => go.ListAgents()),
    createAgent: async (input) => present(await call(() => go.CreateAgent(input)), 'the agent'),
    getAgent: async (id) => present(await call(() => go.GetAgent(id)), 'the agent'),
    connectAgent: (id) => call(() => go.ConnectAgent(id)),
    disconnectAgent: (id) => call(() => go.DisconnectAgent(id)),
    shutdownAgent: (id) => call(() => go.ShutdownAgent(id)),
    suspendAgent: (id) => call(() => go.SuspendAgent(id)),
    resumeAgent: (id) => call(() => go.ResumeAgent(id)),
    listBackups: (id) => list(() => go.ListBackups(id)),
    snapshotAgent: async (id) => present(await call(() => go.SnapshotAgent(id)), 'the backup'),
    restoreAgent: async (id, backupId) =>
      present(await call(() => go.RestoreAgent(id, backupId)), 'the restore result'),
    sendChat: (text, roomId) => call(() => go.SendChat(text, roomId)),
    streamChat: async (text, roomId, onChunk) => {
      const requestId = newRequestId();
      const off = on(rt, CHAT_CHUNK_EVENT, (data) => {
        const c = data as Partial<ChatChunk> | undefined;
        if (c && c.requestId === requestId && typeof c.text === 'string') onChunk(c.text);
      });
      try {
        return await call(() => go.StreamChat(requestId, text, roomId));
      } finally {
        off();
      }
    },
    chatHistory: (roomId) => list(() => go.ChatHistory(roomId)),
    setNotifications: (v) => call(() => go.SetNotifications(v)),
    setStartAtLogin: (v) => call(() => go.SetStartAtLogin(v)),
    openURL: (url) => call(() => go.OpenURL(url)),
    reportReady: () => call(() => go.ReportReady()),
    subscribe: (onEvent, onLive) => {
      const offs = EVENT_TYPES.map((type) =>
        on(rt, type, (data) => onEvent({ type, data } as AppEvent)),
      );
      onLive?.('open');
      return () => offs.forEach((off) => off());
    },
  };
}

// ---------------------------------------------------------------- REST

/** What the REST backend needs from the browser; injectable for tests. */
export interface RestDeps {
  fetch: typeof fetch;
  /** API token for `Authorization: Bearer`, or null. */
  token: () => string | null;
  /** Origin prefix; "" for same origin. */
  base?: string;
  /** EventSource constructor, when the browser has one. */
  EventSource?: typeof EventSource;
  /** window.open. */
  open: (url: string, target: string, features?: string) => Window | null;
  setTimeout?: (cb: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
}

const UNREACHABLE = 'Cannot reach Milady Cloud. Is the app still running?';

/** Reconnect delays for the event stream: 1 s doubling to 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

/**
 * stallTimeoutMs is how long the event stream may stay silent before the
 * app is taken for hung: one ping interval (as the app announces it in
 * X-Ping-Interval-Ms; 15 s when it does not) and a margin for a busy
 * machine, so a 20 s hang is noticed with the default interval.
 */
export function stallTimeoutMs(header: string | null): number {
  const n = Number(header);
  const ping = Number.isFinite(n) && n > 0 ? n : 15_000;
  return ping + Math.max(3000, ping / 4);
}

/** createRestBackend talks to the local REST API and its SSE stream. */
export function createRestBackend(deps: RestDeps): Backend {
  const base = deps.base ?? '';
  const setT = deps.setTimeout ?? ((cb, ms) => globalThis.setTimeout(cb, ms));
  const clearT = deps.clearTimeout ?? ((h) => globalThis.clearTimeout(h as number));

  const headers = (json: boolean): Record<string, string> => {
    const h: Record<string, string> = { Accept: json ? 'application/json' : 'text/event-stream' };
    if (json) h['Content-Type'] = 'application/json';
    const t = deps.token();
    if (t) h.Authorization = `Bearer ${t}`;
    return h;
  };

  const send = async (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
    try {
      return await deps.fetch(base + path, {
        method,
        headers: headers(true),
        // The API refuses bodies that are not a JSON object, so POSTs
        // without parameters still send {}.
        body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
        credentials: 'same-origin',
        signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new BackendError(UNREACHABLE);
    }
  };

  const failure = async (res: Response): Promise<BackendError> => {
    const text = await res.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      const j: unknown = JSON.parse(text);
      if (j && typeof j === 'object') body = j as Record<string, unknown>;
    } catch {
      // not JSON: fall through to the status line
    }
    const msg =
      typeof body.error === 'string' && body.error !== ''
        ? body.error
        : res.status === 401
          ? 'Unauthorized: open the dashboard with its token link again.'
          : `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    return new BackendError(msg, res.status, body);
  };

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await send(method, path, body);
    if (!res.ok) throw await failure(res);
    const text = await res.text();
    if (text === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BackendError(`Unexpected answer from the app (HTTP ${res.status})`, res.status);
    }
  };

  const agent = (id: string, action = '') =>
    `/api/cloud/agents/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

  const subscribe = (onEvent: (ev: AppEvent) => void, onLive?: (s: LiveState) => void) => {
    let stopped = false;
    let attempt = 0;
    let timer: unknown = null;
    let es: EventSource | null = null;
    let abort: AbortController | null = null;

    const deliver = (type: string, data: string) => {
      if (!(EVENT_TYPES as readonly string[]).includes(type)) return;
      try {
        onEvent({ type, data: JSON.parse(data) } as AppEvent);
      } catch {
        // A malformed message is dropped; the next snapshot corrects state.
      }
    };
    const opened = () => {
      attempt = 0;
      onLive?.('open');
    };
    const retry = () => {
      if (stopped) return;
      onLive?.('down');
      const delay = backoffMs(attempt++);
      timer = setT(() => {
        timer = null;
        connect();
      }, delay);
    };

    const connectEventSource = (ES: typeof EventSource) => {
      const src = new ES(`${base}/api/cloud/events`);
      es = src;
      src.onopen = opened;
      for (const type of EVENT_TYPES) {
        src.addEventListener(type, (e) => deliver(type, (e as MessageEvent<string>).data));
      }
      // EventSource retries by itself only for some failures and gives up
      // on HTTP errors, so the reconnect policy is ours in both paths.
      src.onerror = () => {
        src.close();
        if (es === src) es = null;
        retry();
      };
    };

    const connectFetch = async () => {
      const ctl = new AbortController();
      abort = ctl;
      // A hung app keeps the connection open but sends nothing, not even
      // its ": ping" comments: after a silent interval and a margin the stream is
      // dropped and retried, which shows "Lost contact".
      let stalled = false;
      let watchdog: unknown = null;
      const arm = (ms: number) => {
        if (watchdog !== null) clearT(watchdog);
        watchdog = setT(() => {
          stalled = true;
          ctl.abort();
        }, ms);
      };
      try {
        const res = await deps.fetch(`${base}/api/cloud/events`, {
          headers: headers(false),
          credentials: 'same-origin',
          signal: ctl.signal,
        });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        opened();
        const stallMs = stallTimeoutMs(res.headers.get('X-Ping-Interval-Ms'));
        arm(stallMs);
        await readSSE(res.body, (m: SSEMessage) => deliver(m.event, m.data), ctl.signal, () => arm(stallMs));
      } catch {
        // fall through to retry
      }
      if (watchdog !== null) clearT(watchdog);
      if (abort === ctl) abort = null;
      if (!ctl.signal.aborted || stalled) retry();
    };

    const connect = () => {
      if (stopped) return;
      onLive?.('connecting');
      // EventSource cannot send the Authorization header.
      if (deps.EventSource && !deps.token()) connectEventSource(deps.EventSource);
      else void connectFetch();
    };

    connect();
    return () => {
      stopped = true;
      if (timer !== null) clearT(timer);
      es?.close();
      abort?.abort();
    };
  };

  return {
    kind: 'rest',
    getSnapshot: () => call<Snapshot>('GET', '/api/cloud/snapshot'),
    getStatus: () => call('GET', '/api/cloud/status'),
    login: async () => {
      // Opened before the first await: still inside the click's user
      // activation, so it is not blocked. Navigated once the URL is known.
      const popup = deps.open('about:blank', '_blank');
      if (popup) {
        try {
          popup.opener = null;
        } catch {
          // cross-origin already: nothing to detach
        }
      }
      try {
        const r = await call<LoginStart>('POST', '/api/cloud/login');
        if (popup) popup.location.href = r.browserUrl;
        return { ...r, popupBlocked: !popup };
      } catch (e) {
        popup?.close();
        throw e;
      }
    },
    loginStatus: (sessionId) =>
      call('GET', `/api/cloud/login/status?sessionId=${encodeURIComponent(sessionId)}`),
    cancelLogin: async () => {
      await call('POST', '/api/cloud/login/cancel');
    },
    logout: () => call<LogoutResponse>('POST', '/api/cloud/disconnect'),
    getCredits: (fresh) => call('GET', `/api/cloud/credits${fresh ? '?fresh=1' : ''}`),
    // The app opens the checkout itself (the system browser, as in the
    // window), so the page opens no tab here.
    topUp: (credits) => call<TopUpResponse>('POST', '/api/cloud/topup', { credits }),
    getUsage: (hours, limit) => {
      const q = new URLSearchParams();
      if (hours) q.set('hours', String(hours));
      if (limit) q.set('limit', String(limit));
      const qs = q.toString();
      return call<UsageResponse>('GET', `/api/cloud/usage${qs ? `?${qs}` : ''}`);
    },
    openAgent: async (id) => {
      await call('POST', agent(id, 'open'));
    },
    setBackupSkipWhenIdle: async (on) => {
      await call('POST', '/api/settings', { backupSkipWhenIdle: on });
    },
    getCreditHistory: async () =>
      (await call<CreditHistoryResponse>('GET', '/api/cloud/credits/history')).samples ?? [],
    listAgents: async () => (await call<AgentsResponse>('GET', '/api/cloud/agents')).agents ?? [],
    createAgent: async (input) =>
      present((await call<AgentResponse>('POST', '/api/cloud/agents', input)).agent, 'the agent'),
    getAgent: async (id) => present((await call<AgentResponse>('GET', agent(id))).agent, 'the agent'),
    connectAgent: (id) => call('POST', agent(id, 'connect')),
    disconnectAgent: async (id) => {
      await call('POST', agent(id, 'disconnect'));
    },
    shutdownAgent: async (id) => {
      await call('POST', agent(id, 'shutdown'));
    },
    suspendAgent: async (id) => {
      await call('POST', agent(id, 'suspend'));
    },
    resumeAgent: async (id) => {
      await call('POST', agent(id, 'resume'));
    },
    listBackups: async (id) => (await call<BackupsResponse>('GET', agent(id, 'backups'))).backups ?? [],
    snapshotAgent: async (id) =>
      present((await call<BackupResponse>('POST', agent(id, 'snapshot'))).backup, 'the backup'),
    restoreAgent: async (id, backupId) => {
      const r = await call<RestoreResponse>('POST', agent(id, 'restore'), backupId ? { backupId } : {});
      return present(r.restore, 'the restore result');
    },
    sendChat: (text, roomId) => call('POST', '/api/chat', { text, roomId }),
    streamChat: async (text, roomId, onChunk) => {
      const res = await send('POST', '/api/chat/stream', { text, roomId });
      if (!res.ok) throw await failure(res);
      if (!res.body) throw new BackendError('The reply stream could not be read.');
      let reply = '';
      let result: ChatReply | null = null;
      let error: string | null = null;
      await readSSE(res.body, (m) => {
        let data: unknown;
        try {
          data = JSON.parse(m.data);
        } catch {
          return;
        }
        if (m.event === 'chunk') {
          const { text } = data as ChatChunkEvent;
          reply += text;
          onChunk(text);
        } else if (m.event === 'done') {
          result = { text: reply, agentId: (data as ChatDoneEvent).agentId };
        } else if (m.event === 'error') {
          error = (data as ChatErrorEvent).error || 'The agent failed to reply.';
        }
      });
      if (error !== null) throw new BackendError(error);
      if (result === null) throw new BackendError('The reply was cut off before it finished.');
      return result;
    },
    chatHistory: async (roomId) =>
      (await call<ChatHistoryResponse>('GET', `/api/chat/history?roomId=${encodeURIComponent(roomId)}`))
        .messages ?? [],
    setNotifications: async (on) => {
      await call('POST', '/api/settings', { notifications: on });
    },
    setStartAtLogin: async (on) => {
      await call('POST', '/api/settings', { startAtLogin: on });
    },
    openURL: async (url) => {
      deps.open(url, '_blank', 'noopener');
    },
    reportReady: async () => {
      // Only the window test listens for readiness.
    },
    subscribe,
  };
}

/** createBackend picks the transport for this page. */
export function createBackend(win: Window & HostWindow, token: () => string | null): Backend {
  const app = win.go?.desktop?.App;
  if (app && win.runtime) return createWailsBackend(app, win.runtime);
  return createRestBackend({
    fetch: win.fetch.bind(win),
    token,
    // No EventSource: it hides the ": ping" comments, so a hung app could
    // not be told from a quiet one (see connectFetch's watchdog).
    open: (url, target, features) => win.open(url, target, features),
  });
}
