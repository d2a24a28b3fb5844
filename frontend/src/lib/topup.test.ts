import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import { createTopUp, creditsError, RECHECK_MS, WATCH_MS, type TopUpCalls, type TopUpEnv } from './topup';
import type { CreditsResponse } from './types';

/** A page whose focus and visibility the test controls, on vitest's fake timers. */
function fakePage() {
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
  const env: TopUpEnv = {
    win,
    doc,
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  return {
    env,
    focus: () => win.dispatchEvent(new Event('focus')),
    show: () => {
      doc.visibilityState = 'visible';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
    hide: () => {
      doc.visibilityState = 'hidden';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

function fakeCalls(balance: { v: number }) {
  const topUp = vi.fn(async (credits: number) => ({ ok: true, url: `https://cloud.test/__sim/checkout/cs_${credits}` }));
  const getCredits = vi.fn(async (): Promise<CreditsResponse> => ({ connected: true, balance: balance.v }));
  return { topUp, getCredits } satisfies TopUpCalls;
}

/** flush lets the awaited calls settle. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('top-up', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks the app to open the checkout for the amount, and says it opened', async () => {
    const page = fakePage();
    const calls = fakeCalls({ v: 5 });
    const t = createTopUp(calls, page.env);
    await t.start(25, 5);
    expect(calls.topUp).toHaveBeenCalledWith(25);
    expect(get(t)).toMatchObject({ phase: 'opened', credits: 25, before: 5, url: 'https://cloud.test/__sim/checkout/cs_25' });
    expect(calls.getCredits).not.toHaveBeenCalled();
  });

  it('re-reads the balance fresh when the window regains focus or becomes visible', async () => {
    const page = fakePage();
    const bal = { v: 5 };
    const calls = fakeCalls(bal);
    const t = createTopUp(calls, page.env);
    await t.start(10, 5);
    page.focus();
    await flush();
    expect(calls.getCredits).toHaveBeenCalledTimes(1);
    expect(calls.getCredits).toHaveBeenLastCalledWith(true);
    expect(get(t).phase).toBe('opened'); // not paid yet: still watching
    page.hide();
    await flush();
    expect(calls.getCredits).toHaveBeenCalledTimes(1); // hiding is no reason to read
    bal.v = 15;
    page.show();
    await flush();
    expect(calls.getCredits).toHaveBeenCalledTimes(2);
    expect(get(t)).toMatchObject({ phase: 'paid', balance: 15 });
    // Paid: coming back again reads nothing more.
    page.focus();
    await flush();
    expect(calls.getCredits).toHaveBeenCalledTimes(2);
  });

  it('re-reads once two minutes later without any focus', async () => {
    const page = fakePage();
    const bal = { v: 5 };
    const calls = fakeCalls(bal);
    const t = createTopUp(calls, page.env);
    await t.start(10, 5);
    bal.v = 15;
    await vi.advanceTimersByTimeAsync(RECHECK_MS - 1000);
    expect(calls.getCredits).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.getCredits).toHaveBeenCalledTimes(1);
    expect(calls.getCredits).toHaveBeenCalledWith(true);
    expect(get(t).phase).toBe('paid');
  });

  it('shares one read between focus and visibilitychange arriving together', async () => {
    const page = fakePage();
    const calls = fakeCalls({ v: 5 });
    const t = createTopUp(calls, page.env);
    await t.start(10, 5);
    page.focus();
    page.show();
    await flush();
    expect(calls.getCredits).toHaveBeenCalledTimes(1);
  });

  it('stops watching after a while, and on stop', async () => {
    const page = fakePage();
    const calls = fakeCalls({ v: 5 });
    const t = createTopUp(calls, page.env);
    await t.start(10, 5);
    await vi.advanceTimersByTimeAsync(WATCH_MS);
    const n = calls.getCredits.mock.calls.length; // the 2-minute read
    expect(n).toBe(1);
    page.focus();
    await flush();
    expect(calls.getCredits).toHaveBeenCalledTimes(n);

    const t2 = createTopUp(calls, page.env);
    await t2.start(10, 5);
    t2.stop();
    page.focus();
    await vi.advanceTimersByTimeAsync(RECHECK_MS);
    expect(calls.getCredits).toHaveBeenCalledTimes(n);
  });

  it('says why the checkout could not open, and does not watch then', async () => {
    const page = fakePage();
    const calls = fakeCalls({ v: 5 });
    calls.topUp.mockRejectedValueOnce(new Error('credits must be an integer from 1 to 1000'));
    const t = createTopUp(calls, page.env);
    await t.start(5000, 5);
    expect(get(t).phase).toBe('failed');
    expect((get(t).error as Error).message).toMatch(/credits must be/);
    page.focus();
    await vi.advanceTimersByTimeAsync(RECHECK_MS);
    expect(calls.getCredits).not.toHaveBeenCalled();
  });

  it('a failed re-read keeps watching', async () => {
    const page = fakePage();
    const bal = { v: 5 };
    const calls = fakeCalls(bal);
    calls.getCredits.mockRejectedValueOnce(new Error('down'));
    const t = createTopUp(calls, page.env);
    await t.start(10, 5);
    page.focus();
    await flush();
    expect(get(t)).toMatchObject({ phase: 'opened', checking: false });
    bal.v = 15;
    page.focus();
    await flush();
    expect(get(t).phase).toBe('paid');
  });
});

describe('creditsError', () => {
  it('takes whole numbers from 1 to 1,000 only', () => {
    expect(creditsError('1')).toBeNull();
    expect(creditsError(' 1000 ')).toBeNull();
    for (const bad of ['', '0', '1001', '2.5', '-3', 'ten', '1e3']) expect(creditsError(bad), bad).not.toBeNull();
  });
});
