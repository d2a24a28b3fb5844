// Messages in words a person understands, for states the backend reports
// in codes.

import type { LoginView } from './types';

/** loginErrorText explains why a login did not finish. */
export function loginErrorText(l: Pick<LoginView, 'status' | 'error'>): string {
  switch (l.status) {
    case 'expired':
      return 'The login expired before it was approved in the browser. Try again.';
    case 'cancelled':
      return 'The login was cancelled.';
    case 'error':
      return l.error ? `The login failed: ${l.error}` : 'The login failed. Try again.';
    default:
      return l.error ?? '';
  }
}

/** agentStatusText names a cloud agent's status for its badge. */
export function agentStatusText(status: string): string {
  switch (status) {
    case 'running':
      return 'Running';
    case 'pending':
      return 'New';
    case 'provisioning':
      return 'Starting…';
    case 'stopped':
      return 'Stopped';
    case 'disconnected':
      return 'Disconnected';
    case 'error':
      return 'Error';
    default:
      return status || 'Unknown';
  }
}

/** agentStatusTone picks the badge colour for a cloud agent's status. */
export function agentStatusTone(status: string): 'ok' | 'busy' | 'bad' | 'idle' {
  if (status === 'running') return 'ok';
  if (status === 'provisioning') return 'busy';
  if (status === 'error') return 'bad';
  return 'idle';
}

/** Explained is an error as one sentence, with the raw text for "Details". */
export interface Explained {
  sentence: string;
  /** The raw chain, or "" when it says nothing the sentence does not. */
  details: string;
}

/**
 * explainError turns a failed call into one sentence a person understands,
 * chosen by the error's kind (its HTTP status, or words in the chain the
 * app's typed errors always carry); the raw chain is kept for "Details".
 * `doing` names the action ("connect the agent").
 */
export function explainError(e: unknown, doing: string): Explained {
  const err = e as { message?: string; status?: number } | null;
  const raw = String(err?.message ?? e ?? '').trim();
  const status = typeof err?.status === 'number' ? err.status : 0;
  const low = raw.toLowerCase();
  const could = `Could not ${doing}`;
  let sentence: string;
  if (status === 402 || /insufficient credits|payment required/.test(low)) {
    sentence = `${could}: not enough credits. Top up and try again.`;
  } else if (/not reachable|failed to fetch|networkerror|unreachable/.test(low) && status === 0) {
    sentence = `${could}: Milady Cloud is not answering. Check that the app is running.`;
  } else if (status === 401 || /unauthori[sz]ed|invalid api key|rejected the api key/.test(low)) {
    sentence = `${could}: Eliza Cloud did not accept the API key. Log out and log in again.`;
  } else if (status === 404 || /not found/.test(low)) {
    sentence = `${could}: Eliza Cloud no longer knows it. Refresh the list.`;
  } else if (status === 409 || /already|in progress|conflict/.test(low)) {
    sentence = `${could}: another action on it is still running. Wait a moment and try again.`;
  } else if (/sandbox is not running|not running/.test(low)) {
    sentence = `${could}: the agent is not running on Eliza Cloud. Resume it, then try again.`;
  } else if (/timeout|timed out|deadline exceeded/.test(low) || status === 504) {
    sentence = `${could}: Eliza Cloud took too long to answer. Try again in a minute.`;
  } else if (status === 502 || status === 503 || /bad gateway|malformed|unexpected end of json|http 5\d\d|<html/.test(low)) {
    sentence = `${could}: Eliza Cloud is having trouble right now. Try again in a minute.`;
  } else if (status === 400 || status === 422) {
    // The app's own validation messages are already sentences.
    return { sentence: raw || `${could}.`, details: '' };
  } else {
    sentence = `${could}. Try again; if it keeps failing, the details below help.`;
  }
  return { sentence, details: raw };
}

/**
 * splitNotice keeps a notice readable when the app put an error chain in
 * it ("Backup of your agent failed: snapshot agent …: HTTP 502: <html>…"):
 * the words before the chain become the sentence, the chain goes to Details.
 */
export function splitNotice(message: string): Explained {
  // The desktop notification's advice makes no sense to a user who is
  // already in the dashboard.
  message = message.replace('Open Milady Cloud to connect again.', 'Use Reconnect on the Overview to connect again.');
  const i = message.indexOf(': ');
  if (i < 0) return { sentence: message, details: '' };
  const rest = message.slice(i + 2);
  const technical = /HTTP \d{3}|<[a-z!]|[0-9a-f]{8}-[0-9a-f]{4}-|: .*: |unexpected|EOF|dial |tcp /i.test(rest);
  if (!technical) return { sentence: message, details: '' };
  const head = message.slice(0, i).trim();
  return { sentence: /[.!?]$/.test(head) ? head : `${head}.`, details: rest };
}
