// Light/dark: the system preference by default, or a choice the user made
// with the toggle, kept in localStorage. CSS does the rest through
// `:root[data-theme]`.

import { writable } from 'svelte/store';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'milady.theme';

function load(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    if (v === 'light' || v === 'dark') return v;
  } catch {
    // storage disabled
  }
  return 'system';
}

function apply(t: ThemeChoice): void {
  if (typeof document === 'undefined') return;
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

/** nextTheme cycles system → light → dark → system. */
export function nextTheme(t: ThemeChoice): ThemeChoice {
  return t === 'system' ? 'light' : t === 'light' ? 'dark' : 'system';
}

export const theme = writable<ThemeChoice>(typeof localStorage === 'undefined' ? 'system' : load());

theme.subscribe((t) => {
  apply(t);
  try {
    if (t === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    // storage disabled: the choice lasts for this page
  }
});
