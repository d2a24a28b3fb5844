import { describe, expect, it, vi } from 'vitest';
import { takeToken } from './token';
import { parseRoute } from './router';

function env(hash: string) {
  const store = new Map<string, string>();
  const replaceState = vi.fn();
  return {
    replaceState,
    store,
    env: {
      location: { hash, pathname: '/', search: '' },
      history: { replaceState, state: null },
      storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
    },
  };
}

describe('takeToken', () => {
  it('moves the token from the fragment to storage and cleans the address', () => {
    const e = env('#token=abc%2Fdef');
    expect(takeToken(e.env)).toBe('abc/def');
    expect(e.replaceState).toHaveBeenCalledWith(null, '', '/');
    expect(e.store.get('milady.apiToken')).toBe('abc/def');
  });

  it('keeps a route that shares the fragment', () => {
    const e = env('#/agents&token=t1');
    expect(takeToken(e.env)).toBe('t1');
    expect(e.replaceState).toHaveBeenCalledWith(null, '', '/#/agents');
  });

  it('leaves the address alone without a token and returns the saved one', () => {
    const e = env('#/chat');
    e.store.set('milady.apiToken', 'old');
    expect(takeToken(e.env)).toBe('old');
    expect(e.replaceState).not.toHaveBeenCalled();
  });
});

describe('parseRoute', () => {
  it.each([
    ['', 'overview'],
    ['#', 'overview'],
    ['#/agents', 'agents'],
    ['#/chat?x=1', 'chat'],
    ['#settings', 'settings'],
    ['#/nope', 'overview'],
  ])('%s → %s', (hash, want) => {
    expect(parseRoute(hash)).toBe(want);
  });
});
