// Words and numbers the views show. Pure functions, so the wording is tested
// once and the tray's phrasing is kept in one place.

import type { ConnectionState, CreditsView, Notice } from './types';

const usd = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** formatMoney renders a balance as "$12.50" ("—" when unknown). */
export function formatMoney(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  // Intl renders -0.001 as "-$0.00"; a balance that rounds to zero is zero.
  const v = Math.abs(n) < 0.005 ? 0 : n;
  return usd.format(v);
}

/** Default reconnect attempts (cloud.bridge.maxReconnectAttempts). */
export const DEFAULT_MAX_RECONNECT = 10;

/**
 * stateText is the connection state in words, as the top bar and the tray
 * say it: "Connected", "Connecting…", "Reconnecting (attempt 2/10)…",
 * "Disconnected", "Error", or "Not logged in".
 */
export function stateText(conn: ConnectionState | undefined, loggedIn: boolean): string {
  if (!loggedIn) return 'Not logged in';
  if (conn?.keyRejected) return 'Key rejected';
  switch (conn?.state) {
    case 'connected':
      return 'Connected';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting': {
      const max = conn.maxReconnectAttempts || DEFAULT_MAX_RECONNECT;
      // Between entering the state and the first attempt the count is 0:
      // the app is working on attempt 1.
      const n = Math.min(Math.max(1, conn.reconnectAttempt ?? 0), max);
      return `Reconnecting (attempt ${n}/${max})…`;
    }
    case 'error':
      return 'Error';
    default:
      return connectionLost(conn) ? 'Connection lost' : 'Disconnected';
  }
}

/**
 * connectionLost tells an outage the app gave up on (disconnected, with
 * the reason kept) from a disconnect the user asked for.
 */
export function connectionLost(conn: ConnectionState | undefined): boolean {
  // A rejected key is no outage: the Login view says what to do.
  return conn?.state === 'disconnected' && !!conn.lastError && !conn.keyRejected;
}

/** stateTone picks the badge colour class; the text always says it too. */
export function stateTone(conn: ConnectionState | undefined, loggedIn: boolean): 'ok' | 'busy' | 'bad' | 'idle' {
  if (!loggedIn) return 'idle';
  if (conn?.keyRejected) return 'bad';
  switch (conn?.state) {
    case 'connected':
      return 'ok';
    case 'connecting':
    case 'reconnecting':
      return 'busy';
    case 'error':
      return 'bad';
    default:
      return connectionLost(conn) ? 'bad' : 'idle';
  }
}

export type BalanceLevel = 'ok' | 'low' | 'critical' | 'unknown';

/** Credit thresholds (the backend's cloud.LevelFor), used when the backend did not say. */
export const LOW_BELOW = 2;
export const CRITICAL_BELOW = 0.5;

/** balanceLevel trusts the backend's flags and falls back to the thresholds. */
export function balanceLevel(c: CreditsView | undefined): BalanceLevel {
  if (!c || c.balance === null || c.balance === undefined) return 'unknown';
  if (c.level === 'critical' || c.critical) return 'critical';
  if (c.level === 'low' || c.low) return 'low';
  if (c.level === 'ok') return 'ok';
  if (c.balance < CRITICAL_BELOW) return 'critical';
  if (c.balance < LOW_BELOW) return 'low';
  return 'ok';
}

/** balanceWarning is the sentence under a low or critical balance. */
export function balanceWarning(level: BalanceLevel): string | null {
  if (level === 'critical') return 'Balance critical: your agent will be stopped soon. Top up now.';
  if (level === 'low') return 'Balance low: top up to keep your agent running.';
  return null;
}

/** parseTime turns an RFC 3339 string into ms since the epoch (NaN if absent or zero). */
export function parseTime(s: string | null | undefined): number {
  if (!s || s.startsWith('0001-01-01')) return NaN;
  return Date.parse(s);
}

/** ago says how long ago a time was: "just now", "42 s ago", "3 min ago", "2 h ago", "5 days ago". */
export function ago(s: string | null | undefined, now: number): string {
  const t = parseTime(s);
  if (Number.isNaN(t)) return 'never';
  const sec = Math.round((now - t) / 1000);
  if (sec < 5) return 'just now';
  if (sec < 60) return `${sec} s ago`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} days ago`;
}

/** absolute is a locale date-time for tooltips ("" if absent). */
export function absolute(s: string | null | undefined): string {
  const t = parseTime(s);
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString();
}

/** formatBytes renders a backup size ("—" when unknown). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/**
 * revokePage is the cloud's API-keys page: an API key cannot revoke itself,
 * so logging out only forgets it here and the user revokes it there.
 */
export function revokePage(base: string): string {
  return `${base.replace(/\/+$/, '')}/dashboard/api-keys`;
}

/** Maximum chat message, in UTF-8 bytes. */
export const CHAT_LIMIT_BYTES = 32 * 1024;

/** utf8Length counts the bytes a string takes on the wire. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** chatTooLong returns the message for an over-long chat input, or null. */
export function chatTooLong(text: string): string | null {
  const n = utf8Length(text);
  if (n <= CHAT_LIMIT_BYTES) return null;
  return `Message too long: ${Math.ceil(n / 1024)} KB of at most 32 KB. Shorten it or send it in parts.`;
}

/**
 * creditsNoticeText words a balance notice with the balance as it is now,
 * so a notice raised at $0.30 does not keep saying so at $0.00. A notice
 * whose level no longer matches keeps its own words.
 */
export function creditsNoticeText(n: Pick<Notice, 'level' | 'message'>, c: CreditsView): string {
  const level = balanceLevel(c);
  if (c.balance === null || c.balance === undefined) return n.message;
  const amount = formatMoney(c.balance);
  if (n.level === 'critical' && level === 'critical') return `Credits almost gone: ${amount} left. Top up now or your agent will stop.`;
  if (n.level !== 'critical' && n.level !== 'info' && level === 'low') return `Credits low: ${amount} left. Top up to keep your agent running.`;
  return n.message;
}
