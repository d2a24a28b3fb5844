// Hash routing: `#/overview`, `#/agents`, `#/chat`, `#/usage`, `#/settings`. The hash
// keeps working in the Wails asset server and with a file-less static host.

import { readable } from 'svelte/store';

export const ROUTES = ['overview', 'agents', 'chat', 'usage', 'settings'] as const;
export type Route = (typeof ROUTES)[number];

export const ROUTE_TITLES: Record<Route, string> = {
  overview: 'Overview',
  agents: 'Agents',
  chat: 'Chat',
  usage: 'Usage',
  settings: 'Settings',
};

/** parseRoute maps a location hash to a route; anything unknown is Overview. */
export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?&]/)[0];
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'overview';
}

export function href(r: Route): string {
  return `#/${r}`;
}

/** route is the current route, following hashchange. */
export const route = readable<Route>(
  typeof location === 'undefined' ? 'overview' : parseRoute(location.hash),
  (set) => {
    if (typeof window === 'undefined') return;
    const update = () => set(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  },
);
