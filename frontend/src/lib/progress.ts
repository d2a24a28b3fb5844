// The connection's provisioning progress and dead-sandbox recovery, in
// words (snapshot.connection.progress / .recovery).

import type { ConnectionState, Progress, Recovery } from './types';

/** progressText: "Queued at Eliza Cloud", "Starting the agent", "Retrying (1 of 3)". */
export function progressText(p: Progress): string {
  switch (p.phase) {
    case 'queued':
      return 'Queued: waiting for Eliza Cloud to start the agent';
    case 'starting':
      return 'Starting the agent on Eliza Cloud';
    case 'retrying':
      return `Starting failed; retrying (${p.retry ?? 1} of ${p.maxAttempts || 3})`;
    default:
      return p.message || 'Provisioning the agent';
  }
}

/** recoveryText: "Recovering the agent, step 2 of 3: resuming it". */
export function recoveryText(r: Recovery): string {
  const what = r.message ? `: ${r.message.replace(/\.$/, '')}` : '';
  return `Recovering the agent, step ${r.n} of ${r.of}${what}`;
}

/** inProgress: a Cancel (disconnect) makes sense while the connection is being made. */
export function inProgress(c: ConnectionState): boolean {
  return c.state === 'connecting' || (c.state === 'reconnecting' && !!c.recovery);
}
