import { describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import type { Backend, LiveState } from './backend';
import { createAppStore, initialState, keyRejected, MAX_TOASTS, needsLogin, needsRefetch, reduce, type AppState } from './state';
import type { AppEvent, Snapshot } from './types';
import { snap } from './fixtures.test-util';

const NOW = new Date('2026-03-02T10:00:00Z');
const withSnap = (s: Snapshot = snap()): AppState => reduce(initialState, { type: 'snapshot', data: s }, NOW);

describe('reduce', () => {
  it('replaces the snapshot on snapshot and state events', () => {
    const s1 = withSnap();
    expect(s1.snapshot?.connection.state).toBe('connected');
    const s2 = reduce(s1, { type: 'state', data: snap({ connection: { state: 'reconnecting', since: 'x', reconnectAttempt: 2 } }) }, NOW);
    expect(s2.snapshot?.connection).toEqual({ state: 'reconnecting', since: 'x', reconnectAttempt: 2 });
    expect(s2.generation).toBe(s1.generation + 1);
    expect(s1.snapshot?.connection.state).toBe('connected'); // not mutated
  });

  it('replaces credits, settings', () => {
    const c = { balance: 1.5, level: 'low' as const, low: true, critical: false, topUpUrl: 'u' };
    const s = reduce(withSnap(), { type: 'credits', data: c }, NOW);
    expect(s.snapshot?.credits).toEqual(c);
    const st = { baseUrl: 'b', notifications: false, startAtLogin: true, configPath: 'p', backupSkipWhenIdle: false };
    expect(reduce(s, { type: 'settings', data: st }, NOW).snapshot?.settings).toEqual(st);
  });

  it('drops partial events until there is a snapshot', () => {
    const ev: AppEvent = { type: 'credits', data: { balance: 1, low: true, critical: false, topUpUrl: '' } };
    expect(reduce(initialState, ev, NOW).snapshot).toBeNull();
  });

  it('updates the login progress', () => {
    const s = reduce(withSnap(snap({ loggedIn: false, login: { status: 'pending', sessionId: 's1' } })), { type: 'login', data: { status: 'error', error: 'boom' } }, NOW);
    expect(s.snapshot?.login).toEqual({ status: 'error', sessionId: 's1', error: 'boom', keyPrefix: undefined });
  });

  it('records heartbeats of the connected agent only', () => {
    const s = reduce(withSnap(), { type: 'heartbeat', data: { agentId: 'a1', at: '2026-03-02T09:59:00Z' } }, NOW);
    expect(s.snapshot?.connection.lastHeartbeatAt).toBe('2026-03-02T09:59:00Z');
    const other = reduce(withSnap(), { type: 'heartbeat', data: { agentId: 'zz', at: '2026-03-02T09:59:00Z' } }, NOW);
    expect(other.snapshot?.connection.lastHeartbeatAt).toBeUndefined();
  });

  it('records successful backups and counts every backup event', () => {
    let s = reduce(withSnap(), { type: 'backup', data: { agentId: 'a1', ok: true, backupId: 'b1' } }, NOW);
    expect(s.snapshot?.connection.lastBackupAt).toBe(NOW.toISOString());
    expect(s.lastBackup).toEqual({ agentId: 'a1', ok: true, backupId: 'b1', seq: 1 });
    s = reduce(s, { type: 'backup', data: { agentId: 'a1', ok: false, error: 'disk' } }, new Date(NOW.getTime() + 1000));
    expect(s.snapshot?.connection.lastBackupAt).toBe(NOW.toISOString()); // a failure is not a backup
    expect(s.lastBackup?.seq).toBe(2);
  });

  it('turns notices into a bounded list of toasts', () => {
    let s = withSnap();
    for (let i = 0; i < MAX_TOASTS + 2; i++) {
      s = reduce(s, { type: 'notice', data: { kind: `k${i}`, level: 'warning', message: `m${i}`, at: '2026-03-01T12:00:00Z' } }, NOW);
    }
    expect(s.toasts.map((t) => t.message)).toEqual(['m2', 'm3', 'm4', 'm5']);
    expect(new Set(s.toasts.map((t) => t.id)).size).toBe(MAX_TOASTS);
    expect(s.snapshot?.lastNotice?.message).toBe('m5');
  });

  it('replaces an older notice of the same kind with the newer one', () => {
    let s = reduce(withSnap(), { type: 'notice', data: { kind: 'credits', level: 'warning', message: 'low', at: '2026-03-01T12:00:00Z' } }, NOW);
    s = reduce(s, { type: 'notice', data: { kind: 'backup', level: 'warning', message: 'backup failed', at: '2026-03-01T12:00:00Z' } }, NOW);
    s = reduce(s, { type: 'notice', data: { kind: 'credits', level: 'critical', message: 'critical', at: '2026-03-01T12:00:00Z' } }, NOW);
    expect(s.toasts.map((t) => t.message)).toEqual(['backup failed', 'critical']);
  });

  it('drops balance toasts once the balance is fine again', () => {
    let s = reduce(withSnap(), { type: 'notice', data: { kind: 'credits', level: 'critical', message: 'critical', at: '2026-03-01T12:00:00Z' } }, NOW);
    s = reduce(s, { type: 'notice', data: { kind: 'backup', level: 'warning', message: 'backup failed', at: '2026-03-01T12:00:00Z' } }, NOW);
    s = reduce(s, { type: 'credits', data: { balance: 1, low: true, critical: false, topUpUrl: '' } }, NOW);
    expect(s.toasts).toHaveLength(2);
    s = reduce(s, { type: 'credits', data: { balance: 25, low: false, critical: false, topUpUrl: '' } }, NOW);
    expect(s.toasts.map((t) => t.message)).toEqual(['backup failed']);
  });

  it('drops a snapshot numbered at or below the one shown', () => {
    const s5 = withSnap(snap({ seq: 5 }));
    const stale = reduce(s5, { type: 'state', data: snap({ seq: 4, loggedIn: false }) }, NOW);
    expect(stale).toBe(s5);
    expect(reduce(s5, { type: 'snapshot', data: snap({ seq: 5, loggedIn: false }) }, NOW)).toBe(s5);
    const s6 = reduce(s5, { type: 'state', data: snap({ seq: 6, loggedIn: false }) }, NOW);
    expect(s6.snapshot?.seq).toBe(6);
    expect(s6.snapshot?.loggedIn).toBe(false);
    // Unnumbered snapshots (seq 0, as test fakes send) are always taken.
    expect(reduce(s6, { type: 'state', data: snap() }, NOW).snapshot?.seq).toBe(0);
  });

  it('a rejected key (snapshot or connection flag) sends the user to log in again', () => {
    const ok = snap();
    expect(keyRejected(ok)).toBe(false);
    expect(needsLogin(ok)).toBe(false);
    const rejected = snap({ keyRejected: true });
    expect(keyRejected(rejected)).toBe(true);
    expect(needsLogin(rejected)).toBe(true);
    const viaConn = snap({ connection: { state: 'disconnected', since: 'x', keyRejected: true, lastError: 'key rejected' } });
    expect(needsLogin(viaConn)).toBe(true);
    expect(needsLogin(snap({ loggedIn: false }))).toBe(true);
    expect(keyRejected(null)).toBe(false);
  });

  it('on a rejected key drops the moot notices and forgets the last session', () => {
    const at = '2026-03-02T09:00:00Z';
    let s = withSnap(snap({ seq: 1 }));
    expect(s.lastConn?.agentId).toBe('a1');
    expect(s.lastBalance?.balance).toBe(12.5);
    s = reduce(s, { type: 'notice', data: { kind: 'credits', level: 'warning', message: 'low', at } }, NOW);
    s = reduce(s, { type: 'notice', data: { kind: 'backup', level: 'warning', message: 'backup failed', at } }, NOW);
    s = reduce(s, { type: 'notice', data: { kind: 'connection', level: 'critical', message: 'Your Eliza Cloud key was rejected (revoked or expired). Log in again.', at } }, NOW);
    const rejected = snap({
      seq: 2,
      keyRejected: true,
      connection: { state: 'disconnected', since: 'x', keyRejected: true, lastError: 'Your Eliza Cloud key was rejected' },
    });
    s = reduce(s, { type: 'state', data: rejected }, NOW);
    expect(s.toasts.map((t) => t.message)).toEqual(['backup failed']);
    expect(s.lastConn).toBeNull(); // no "Connection lost" with the old agent after logging in again
    expect(s.lastBalance).toBeNull();
    // The notice arriving after the state is not shown either, but counted.
    s = reduce(s, { type: 'notice', data: { kind: 'connection', level: 'critical', message: 'again', at } }, NOW);
    expect(s.toasts.map((t) => t.message)).toEqual(['backup failed']);
    expect(s.snapshot?.lastNotice?.message).toBe('again');
    // Logged in again: notices show as usual.
    s = reduce(s, { type: 'state', data: snap({ seq: 3 }) }, NOW);
    s = reduce(s, { type: 'notice', data: { kind: 'connection', level: 'warning', message: 'lost', at } }, NOW);
    expect(s.toasts.map((t) => t.message)).toEqual(['backup failed', 'lost']);
  });

  it('asks for a refetch only when a login completes', () => {
    expect(needsRefetch({ type: 'login', data: { status: 'authenticated' } })).toBe(true);
    expect(needsRefetch({ type: 'login', data: { status: 'pending' } })).toBe(false);
    expect(needsRefetch({ type: 'state', data: snap() })).toBe(false);
  });
});

/** A backend whose events and snapshot pulls the test controls. */
function fakeBackend() {
  let emit: (ev: AppEvent) => void = () => {};
  let live: (s: LiveState) => void = () => {};
  const pulls: { resolve: (s: Snapshot) => void; reject: (e: Error) => void }[] = [];
  const unsubscribe = vi.fn();
  const backend = {
    kind: 'rest',
    getSnapshot: vi.fn(
      () =>
        new Promise<Snapshot>((resolve, reject) => {
          pulls.push({ resolve, reject });
        }),
    ),
    subscribe: vi.fn((onEvent: (ev: AppEvent) => void, onLive?: (s: LiveState) => void) => {
      emit = onEvent;
      live = onLive ?? (() => {});
      return unsubscribe;
    }),
  } as unknown as Backend;
  return { backend, emit: (ev: AppEvent) => emit(ev), live: (s: LiveState) => live(s), pulls, unsubscribe };
}

describe('createAppStore', () => {
  it('subscribes before pulling, then applies the pulled snapshot', async () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    const stop = store.start();
    expect(f.backend.subscribe).toHaveBeenCalledBefore(f.backend.getSnapshot as never);
    f.pulls[0].resolve(snap());
    await Promise.resolve();
    await Promise.resolve();
    expect(get(store).snapshot?.loggedIn).toBe(true);
    f.live('down');
    expect(get(store).live).toBe('down');
    stop();
    expect(f.unsubscribe).toHaveBeenCalled();
  });

  it('never lets a slow pull roll back a newer event', async () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    store.start();
    f.emit({ type: 'state', data: snap({ connection: { state: 'reconnecting', since: 'now' } }) });
    f.pulls[0].resolve(snap()); // taken before the event: stale
    await new Promise((r) => setTimeout(r, 0));
    expect(get(store).snapshot?.connection.state).toBe('reconnecting');
  });

  it('ignores a pulled snapshot older than one the stream delivered', async () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    store.start();
    f.emit({ type: 'state', data: snap({ seq: 7, connection: { state: 'connected', since: 'b' } }) });
    void store.refresh(); // a second pull, started after the event
    f.pulls[1].resolve(snap({ seq: 6, connection: { state: 'reconnecting', since: 'a' } }));
    await new Promise((r) => setTimeout(r, 0));
    expect(get(store).snapshot?.seq).toBe(7);
    expect(get(store).snapshot?.connection.state).toBe('connected');
  });

  it('after the stream dropped, takes the restarted app\'s lower numbers', () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    store.start();
    f.emit({ type: 'snapshot', data: snap({ seq: 900 }) });
    f.emit({ type: 'state', data: snap({ seq: 3 }) });
    expect(get(store).snapshot?.seq).toBe(900);
    f.live('down');
    f.live('connecting');
    f.emit({ type: 'snapshot', data: snap({ seq: 1, loggedIn: false }) });
    expect(get(store).snapshot?.seq).toBe(1);
    f.emit({ type: 'state', data: snap({ seq: 1 }) });
    expect(get(store).snapshot?.loggedIn).toBe(false); // numbering applies again
  });

  it('refetches the snapshot when a login completes', async () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    store.start();
    f.pulls[0].resolve(snap({ loggedIn: false, login: { status: 'pending' } }));
    await new Promise((r) => setTimeout(r, 0));
    f.emit({ type: 'login', data: { status: 'authenticated', keyPrefix: 'eliza_x' } });
    expect(f.backend.getSnapshot).toHaveBeenCalledTimes(2);
    f.pulls[1].resolve(snap({ loggedIn: true }));
    await new Promise((r) => setTimeout(r, 0));
    expect(get(store).snapshot?.loggedIn).toBe(true);
  });

  it('reports a failed first pull, and clears it when a snapshot arrives', async () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    store.start();
    f.pulls[0].reject(new Error('Cannot reach Milady Cloud'));
    await new Promise((r) => setTimeout(r, 0));
    expect(get(store).loadError).toBe('Cannot reach Milady Cloud');
    f.emit({ type: 'snapshot', data: snap() });
    expect(get(store).loadError).toBeNull();
  });

  it('shows and dismisses local toasts', () => {
    const f = fakeBackend();
    const store = createAppStore(f.backend, () => NOW);
    store.toast({ kind: 'info', level: 'info', message: 'hi' });
    const [t] = get(store).toasts;
    expect(t.message).toBe('hi');
    store.dismiss(t.id);
    expect(get(store).toasts).toEqual([]);
  });
});
