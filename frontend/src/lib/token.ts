// The API token (MILADY_API_TOKEN), when the app requires one, is handed to
// the dashboard in the URL fragment (`#token=…`), which never reaches a
// server log. It is moved to sessionStorage at once and removed from the
// address bar so it is neither bookmarked nor shown.

const KEY = 'milady.apiToken';

export interface TokenEnv {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * takeToken moves a `token=` parameter out of the fragment into storage
 * (keeping any route in the fragment) and returns the stored token, or null.
 */
export function takeToken(env: TokenEnv): string | null {
  const hash = env.location.hash.replace(/^#/, '');
  if (hash.includes('token=')) {
    const parts = hash.split('&');
    const rest: string[] = [];
    let token = '';
    for (const p of parts) {
      if (p.startsWith('token=')) token = decodeURIComponent(p.slice('token='.length));
      else if (p !== '') rest.push(p);
    }
    if (token !== '') {
      try {
        env.storage.setItem(KEY, token);
      } catch {
        // Storage can be disabled; the token then lives for this page only.
        memoryToken = token;
      }
    }
    const newHash = rest.length > 0 ? `#${rest.join('&')}` : '';
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search + newHash);
  }
  return readToken(env.storage);
}

let memoryToken: string | null = null;

/** readToken returns the token saved by takeToken, or null. */
export function readToken(storage: Pick<Storage, 'getItem'>): string | null {
  try {
    return storage.getItem(KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}
