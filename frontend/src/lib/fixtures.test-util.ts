// Shared test data (not a test file itself).
import type { Snapshot } from './types';

export function snap(over: Partial<Snapshot> = {}): Snapshot {
  return {
    seq: 0,
    version: '1.0.0',
    sim: true,
    baseUrl: 'https://127.0.0.1:9443',
    loggedIn: true,
    keyPrefix: 'eliza_abc123',
    connection: { state: 'connected', agentId: 'a1', agentName: 'Milady', since: '2026-03-01T00:00:00Z' },
    credits: { balance: 12.5, level: 'ok', low: false, critical: false, topUpUrl: 'https://top.up' },
    login: { status: 'idle' },
    settings: { baseUrl: 'https://127.0.0.1:9443', notifications: true, startAtLogin: false, configPath: '/c.json', backupSkipWhenIdle: true },
    desktop: false,
    trayAvailable: false,
    identityChecked: true,
    ...over,
  };
}
