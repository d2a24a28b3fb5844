// Topping up through the cloud's checkout: the app opens the checkout page
// in the system browser and answers with its URL. The cloud adds the
// credits when the payment completes, and its balance route serves a
// cached balance for up to 10 minutes unless asked for a fresh one, so the
// dashboard re-reads it fresh when the user comes back to the window (focus
// or the tab becoming visible) and once more two minutes later.

import { writable, type Readable } from 'svelte/store';
import type { CreditsResponse, TopUpResponse } from './types';

/** The one timed re-read after a top-up. */
export const RECHECK_MS = 2 * 60_000;
/** How long after a top-up coming back to the window re-reads the balance. */
export const WATCH_MS = 30 * 60_000;

/** Amounts the picker offers; any whole number from 1 to 1,000 is allowed. */
export const AMOUNTS = [10, 25, 50, 100] as const;
export const MIN_CREDITS = 1;
export const MAX_CREDITS = 1000;

/** creditsError validates the typed amount (null when fine). */
export function creditsError(raw: string): string | null {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) return 'Enter a whole number of credits from 1 to 1,000.';
  const n = Number(s);
  if (n < MIN_CREDITS || n > MAX_CREDITS) return 'Enter a whole number of credits from 1 to 1,000.';
  return null;
}

export interface TopUpCalls {
  topUp(credits: number): Promise<TopUpResponse>;
  getCredits(fresh: boolean): Promise<CreditsResponse>;
}

/** What the controller needs from the page; fakes in tests. */
export interface TopUpEnv {
  win: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  doc: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & { readonly visibilityState: string };
  setTimeout: (cb: () => void, ms: number) => unknown;
  clearTimeout: (h: unknown) => void;
}

export type TopUpPhase = 'idle' | 'opening' | 'opened' | 'paid' | 'failed';

export interface TopUpState {
  phase: TopUpPhase;
  /** The credits asked for. */
  credits: number;
  /** The page the app opened (checkout, or the billing page as a fallback). */
  url: string;
  /** The balance before the top-up; a higher one read later means it arrived. */
  before: number | null;
  /** The balance read after the payment arrived. */
  balance: number | null;
  /** A fresh re-read is in flight. */
  checking: boolean;
  error: unknown;
}

export const idleTopUp: TopUpState = { phase: 'idle', credits: 0, url: '', before: null, balance: null, checking: false, error: null };

export interface TopUp extends Readable<TopUpState> {
  /** start asks the app to open the checkout for `credits`; `before` is the balance shown now. */
  start(credits: number, before: number | null): Promise<void>;
  /** recheck reads the balance fresh now (what focus and the timer do). */
  recheck(): Promise<void>;
  /** reset forgets a finished or failed top-up (the watch stops too). */
  reset(): void;
  /** stop removes the listeners and timers (the page is going away). */
  stop(): void;
}

export function createTopUp(calls: TopUpCalls, env: TopUpEnv): TopUp {
  const store = writable<TopUpState>(idleTopUp);
  let state = idleTopUp;
  const set = (patch: Partial<TopUpState>) => {
    state = { ...state, ...patch };
    store.set(state);
  };
  let recheckTimer: unknown = null;
  let watchTimer: unknown = null;
  let watching = false;
  let inFlight: Promise<void> | null = null;

  const onFocus = () => void recheck();
  const onVisible = () => {
    if (env.doc.visibilityState === 'visible') void recheck();
  };

  function unwatch() {
    if (recheckTimer !== null) env.clearTimeout(recheckTimer);
    if (watchTimer !== null) env.clearTimeout(watchTimer);
    recheckTimer = watchTimer = null;
    if (watching) {
      env.win.removeEventListener('focus', onFocus);
      env.doc.removeEventListener('visibilitychange', onVisible);
      watching = false;
    }
  }

  function watch() {
    unwatch();
    env.win.addEventListener('focus', onFocus);
    env.doc.addEventListener('visibilitychange', onVisible);
    watching = true;
    recheckTimer = env.setTimeout(() => {
      recheckTimer = null;
      void recheck();
    }, RECHECK_MS);
    watchTimer = env.setTimeout(() => {
      watchTimer = null;
      unwatch();
    }, WATCH_MS);
  }

  function recheck(): Promise<void> {
    // Focus and visibilitychange come together: one read serves both.
    if (inFlight) return inFlight;
    set({ checking: true });
    inFlight = (async () => {
      try {
        const c = await calls.getCredits(true);
        const b = typeof c.balance === 'number' ? c.balance : null;
        if (state.phase === 'opened' && b !== null && (state.before === null || b > state.before + 1e-9)) {
          set({ phase: 'paid', balance: b });
          unwatch();
        }
      } catch {
        // The balance card says when a read fails; the next focus tries again.
      } finally {
        inFlight = null;
        set({ checking: false });
      }
    })();
    return inFlight;
  }

  return {
    subscribe: store.subscribe,
    async start(credits, before) {
      if (state.phase === 'opening') return;
      set({ ...idleTopUp, phase: 'opening', credits, before });
      try {
        const r = await calls.topUp(credits);
        set({ phase: 'opened', url: r.url });
        watch();
      } catch (e) {
        set({ phase: 'failed', error: e });
      }
    },
    recheck,
    reset() {
      unwatch();
      state = idleTopUp;
      store.set(state);
    },
    stop: unwatch,
  };
}

/** browserTopUpEnv is the real page. */
export function browserTopUpEnv(): TopUpEnv {
  return {
    win: window,
    doc: document,
    setTimeout: (cb, ms) => window.setTimeout(cb, ms),
    clearTimeout: (h) => window.clearTimeout(h as number),
  };
}
