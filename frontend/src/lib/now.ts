// A clock for "3 min ago" labels: one timer for the whole page.

import { readable } from 'svelte/store';

/** now is Date.now(), refreshed every 5 s while anything is subscribed. */
export const now = readable(Date.now(), (set) => {
  const h = setInterval(() => set(Date.now()), 5000);
  return () => clearInterval(h);
});
