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
