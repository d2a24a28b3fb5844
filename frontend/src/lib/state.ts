// The dashboard's one store: the latest Snapshot plus what the views need
// from the event stream (toasts, the last backup event, whether the stream
// is live). `reduce` is pure and tested; `createAppStore` wires it to a
// Backend: subscribe, pull once, then follow events (STYLE.md lesson 1).

import { writable, type Readable } from 'svelte/store';
import type { Backend, LiveState } from './backend';
import type { AppEvent, BackupEvent, ConnectionState, Notice, Snapshot } from './types';

/** A message the dashboard shows itself has no time; one from the stream has the Notice's. */
export type LocalNotice = Omit<Notice, 'at'> & { at?: string };

export interface Toast extends LocalNotice {
  id: number;
}

export interface AppState {
  snapshot: Snapshot | null;
  toasts: Toast[];
  /** The last backup event, so an open backups panel knows to refresh. */
  lastBackup: (BackupEvent & { seq: number }) | null;
  live: LiveState;
  /**
   * The last connection that named an agent, so a connection that was lost
   * for good still shows what it was (agent, last heartbeat, last backup).
   */
  lastConn: ConnectionState | null;
  /** The last balance that was read, and when, for when a refresh fails. */
  lastBalance: { balance: number; at: string } | null;
  /** Why the first snapshot could not be loaded, if it could not. */
  loadError: string | null;
  /** Bumped on every event that replaces the snapshot (see createAppStore). */
  generation: number;
  /**
   * Set when the event stream dropped: the app may have restarted and
   * numbers its snapshots from 1 again, so the next one is taken whatever
   * its number.
   */
  resync: boolean;
  nextId: number;
}

export const initialState: AppState = {
  snapshot: null,
  toasts: [],
  lastBackup: null,
  live: 'connecting',
  lastConn: null,
  lastBalance: null,
  loadError: null,
  generation: 0,
  resync: false,
  nextId: 1,
};

/** At most this many toasts are kept; the oldest goes first. */
export const MAX_TOASTS = 4;

/**
 * older reports whether next was taken before cur (by the app's snapshot
 * numbers), so showing it would roll the dashboard back to a state that
 * has already been replaced. Unnumbered snapshots are never older.
 */
export function older(next: Snapshot, cur: Snapshot): boolean {
  return !!next.seq && !!cur.seq && next.seq <= cur.seq;
}

/**
 * keyRejected reports that Eliza Cloud refused the saved key (revoked or
 * expired): the app keeps the key but stops calling the cloud until the
 * user logs in again.
 */
export function keyRejected(s: Snapshot | null | undefined): boolean {
  if (!s) return false;
  return !!s.keyRejected || !!s.connection?.keyRejected;
}

/** needsLogin: the Login view is what the user needs (logged out, or the key was rejected). */
export function needsLogin(s: Snapshot): boolean {
  return !s.loggedIn || keyRejected(s);
}

/**
 * A rejected key is said on the Login view, so its notices (the connection
 * one that says to log in again, balance ones the app can no longer check)
 * would only repeat it above the view.
 */
const MOOT_WHEN_REJECTED = new Set(['connection', 'credits']);

/**
 * reduce applies one event. `snapshot` and `state` replace the snapshot;
 * the partial events patch it; an event that needs a snapshot is dropped
 * while there is none (the pull that follows includes it). A snapshot older
 * than the one shown is dropped (see `older`), unless the stream dropped
 * since (`resync`).
 */
export function reduce(s: AppState, ev: AppEvent, now: Date): AppState {
  return remember(apply(s, ev, now), now);
}

/** remember keeps the last known connection and balance (see AppState). */
function remember(s: AppState, now: Date): AppState {
  const snap = s.snapshot;
  if (!snap) return s;
  // Logged out or rejected: the last connection and balance belong to a
  // session that ended, and must not come back as "Connection lost" later.
  if (needsLogin(snap)) return s.lastConn || s.lastBalance ? { ...s, lastConn: null, lastBalance: null } : s;
  let next = s;
  const c = snap.connection;
  if (c.agentId && c.state !== 'disconnected' && c !== s.lastConn) next = { ...next, lastConn: c };
  const b = snap.credits;
  if (typeof b.balance === 'number' && !b.error) {
    const at = b.updatedAt || now.toISOString();
    if (s.lastBalance?.balance !== b.balance || s.lastBalance.at !== at) next = { ...next, lastBalance: { balance: b.balance, at } };
  }
  return next;
}

function apply(s: AppState, ev: AppEvent, now: Date): AppState {
  const snap = s.snapshot;
  switch (ev.type) {
    case 'snapshot':
    case 'state':
      if (snap && !s.resync && older(ev.data, snap)) return s;
      return {
        ...s,
        snapshot: ev.data,
        toasts: keyRejected(ev.data) ? s.toasts.filter((t) => !MOOT_WHEN_REJECTED.has(t.kind)) : s.toasts,
        generation: s.generation + 1,
        loadError: null,
        resync: false,
      };
    case 'credits': {
      if (!snap) return s;
      // A balance warning is moot once the balance is fine again.
      const fine = !ev.data.low && !ev.data.critical && ev.data.balance !== null;
      const toasts = fine ? s.toasts.filter((t) => t.kind !== 'credits') : s.toasts;
      return { ...s, toasts, snapshot: { ...snap, credits: ev.data } };
    }
    case 'settings':
      return snap ? { ...s, snapshot: { ...snap, settings: ev.data } } : s;
    case 'login': {
      if (!snap) return s;
      const d = ev.data;
      return {
        ...s,
        snapshot: {
          ...snap,
          login: {
            ...snap.login,
            status: d.status,
            keyPrefix: d.keyPrefix ?? snap.login.keyPrefix,
            error: d.error,
          },
        },
      };
    }
    case 'heartbeat': {
      if (!snap || (ev.data.agentId && snap.connection.agentId && ev.data.agentId !== snap.connection.agentId)) {
        return s;
      }
      return { ...s, snapshot: { ...snap, connection: { ...snap.connection, lastHeartbeatAt: ev.data.at } } };
    }
    case 'backup': {
      const seq = (s.lastBackup?.seq ?? 0) + 1;
      const next = { ...s, lastBackup: { ...ev.data, seq } };
      if (snap && ev.data.ok && (!ev.data.agentId || ev.data.agentId === snap.connection.agentId)) {
        next.snapshot = { ...snap, connection: { ...snap.connection, lastBackupAt: now.toISOString() } };
      }
      return next;
    }
    case 'notice': {
      if (snap && keyRejected(snap) && MOOT_WHEN_REJECTED.has(ev.data.kind)) {
        return { ...s, snapshot: { ...snap, lastNotice: ev.data, noticeCount: (snap.noticeCount ?? 0) + 1 } };
      }
      const toast: Toast = { ...ev.data, id: s.nextId };
      // A newer notice of a kind replaces the older one (a critical balance
      // supersedes the low one; a second outage notice the first).
      const toasts = [...s.toasts.filter((t) => t.kind !== toast.kind), toast].slice(-MAX_TOASTS);
      const next = { ...s, toasts, nextId: s.nextId + 1 };
      if (snap) next.snapshot = { ...snap, lastNotice: ev.data, noticeCount: (snap.noticeCount ?? 0) + 1 };
      return next;
    }
    default:
      return s;
  }
}

/** needsRefetch: a finished login changes more than its event says. */
export function needsRefetch(ev: AppEvent): boolean {
  return ev.type === 'login' && ev.data.status === 'authenticated';
}

export interface AppStore extends Readable<AppState> {
  /** start subscribes and pulls the first snapshot; returns a stop function. */
  start(): () => void;
  /** refresh pulls a snapshot now (after login, logout, or on demand). */
  refresh(): Promise<void>;
  dismiss(id: number): void;
  /** toast shows a local message (e.g. an action's success). */
  toast(n: LocalNotice): void;
}

/** createAppStore binds the reducer to a backend. */
export function createAppStore(backend: Backend, now: () => Date = () => new Date()): AppStore {
  const store = writable<AppState>(initialState);
  let state = initialState;
  const set = (s: AppState) => {
    state = s;
    store.set(s);
  };
  const apply = (ev: AppEvent) => set(reduce(state, ev, now()));

  // A pulled snapshot is applied only if no newer full snapshot arrived
  // while the pull was in flight, so a slow pull never rolls state back.
  const refresh = async () => {
    const gen = state.generation;
    try {
      const snap = await backend.getSnapshot();
      if (state.generation === gen) apply({ type: 'snapshot', data: snap });
    } catch (e) {
      if (state.snapshot === null) set({ ...state, loadError: (e as Error).message });
    }
  };

  return {
    subscribe: store.subscribe,
    refresh,
    start() {
      const stop = backend.subscribe(
        (ev) => {
          apply(ev);
          if (needsRefetch(ev)) void refresh();
        },
        (live) => set({ ...state, live, resync: state.resync || live === 'down' }),
      );
      void refresh();
      return stop;
    },
    dismiss(id) {
      set({ ...state, toasts: state.toasts.filter((t) => t.id !== id) });
    },
    toast(n) {
      const kept = n.kind === 'info' ? state.toasts : state.toasts.filter((t) => t.kind !== n.kind);
      set({ ...state, toasts: [...kept, { ...n, id: state.nextId }].slice(-MAX_TOASTS), nextId: state.nextId + 1 });
    },
  };
}
