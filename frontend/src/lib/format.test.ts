import { describe, expect, it } from 'vitest';
import { explainError, splitNotice } from './words';
import {
  ago,
  balanceLevel,
  balanceWarning,
  creditsNoticeText,
  chatTooLong,
  CHAT_LIMIT_BYTES,
  connectionLost,
  formatBytes,
  formatMoney,
  stateText,
  stateTone,
} from './format';
import type { ConnectionState, CreditsView } from './types';

const conn = (over: Partial<ConnectionState>): ConnectionState => ({
  state: 'disconnected',
  since: '2026-01-01T00:00:00Z',
  ...over,
});

const credits = (balance: number | null, over: Partial<CreditsView> = {}): CreditsView => ({
  balance,
  low: false,
  critical: false,
  topUpUrl: 'https://x',
  ...over,
});

describe('formatMoney', () => {
  it.each([
    [12.5, '$12.50'],
    [0, '$0.00'],
    [1234.567, '$1,234.57'],
    [-0.001, '$0.00'],
    [-3.2, '-$3.20'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('%s → %s', (n, want) => {
    expect(formatMoney(n)).toBe(want);
  });
});

describe('stateText', () => {
  it('names every state', () => {
    expect(stateText(conn({ state: 'connected' }), true)).toBe('Connected');
    expect(stateText(conn({ state: 'connecting' }), true)).toBe('Connecting…');
    expect(stateText(conn({ state: 'disconnected' }), true)).toBe('Disconnected');
    expect(stateText(conn({ state: 'error' }), true)).toBe('Error');
    expect(stateText(conn({ state: 'connected' }), false)).toBe('Not logged in');
    expect(stateText(undefined, true)).toBe('Disconnected');
  });

  it('counts reconnect attempts out of the maximum', () => {
    expect(stateText(conn({ state: 'reconnecting', reconnectAttempt: 3 }), true)).toBe('Reconnecting (attempt 3/10)…');
    expect(stateText(conn({ state: 'reconnecting', reconnectAttempt: 2, maxReconnectAttempts: 5 }), true)).toBe(
      'Reconnecting (attempt 2/5)…',
    );
    // Before the first attempt the app is working on attempt 1.
    expect(stateText(conn({ state: 'reconnecting' }), true)).toBe('Reconnecting (attempt 1/10)…');
    expect(stateText(conn({ state: 'reconnecting', reconnectAttempt: 12 }), true)).toBe('Reconnecting (attempt 10/10)…');
  });

  it('a rejected key is no outage: it says so, in red', () => {
    const rejected = conn({ state: 'disconnected', lastError: 'Your Eliza Cloud key was rejected', keyRejected: true });
    expect(stateText(rejected, true)).toBe('Key rejected');
    expect(stateTone(rejected, true)).toBe('bad');
    expect(connectionLost(rejected)).toBe(false);
    expect(connectionLost(conn({ state: 'disconnected', lastError: 'gave up' }))).toBe(true);
  });

  it('tones follow the state', () => {
    expect(stateTone(conn({ state: 'connected' }), true)).toBe('ok');
    expect(stateTone(conn({ state: 'reconnecting' }), true)).toBe('busy');
    expect(stateTone(conn({ state: 'error' }), true)).toBe('bad');
    expect(stateTone(conn({ state: 'connected' }), false)).toBe('idle');
  });
});

describe('balanceLevel', () => {
  it('trusts the backend flags', () => {
    expect(balanceLevel(credits(10, { low: true }))).toBe('low');
    expect(balanceLevel(credits(10, { critical: true, low: true }))).toBe('critical');
    expect(balanceLevel(credits(1, { level: 'ok' }))).toBe('ok');
    expect(balanceLevel(credits(1, { level: 'critical' }))).toBe('critical');
  });
  it('falls back to the thresholds', () => {
    expect(balanceLevel(credits(2))).toBe('ok');
    expect(balanceLevel(credits(1.99))).toBe('low');
    expect(balanceLevel(credits(0.5))).toBe('low');
    expect(balanceLevel(credits(0.49))).toBe('critical');
    expect(balanceLevel(credits(null))).toBe('unknown');
    expect(balanceLevel(undefined)).toBe('unknown');
  });
  it('warns in words containing the level', () => {
    expect(balanceWarning('low')).toMatch(/low/);
    expect(balanceWarning('critical')).toMatch(/critical/);
    expect(balanceWarning('ok')).toBeNull();
    expect(balanceWarning('unknown')).toBeNull();
  });
});

describe('ago', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it.each([
    ['2026-03-01T11:59:58Z', 'just now'],
    ['2026-03-01T11:59:18Z', '42 s ago'],
    ['2026-03-01T11:57:00Z', '3 min ago'],
    ['2026-03-01T09:00:00Z', '3 h ago'],
    ['2026-02-24T12:00:00Z', '5 days ago'],
    ['0001-01-01T00:00:00Z', 'never'],
    [null, 'never'],
  ])('%s → %s', (t, want) => {
    expect(ago(t, now)).toBe(want);
  });
});

describe('chat limit', () => {
  it('allows exactly 32 KiB and refuses one byte more, counting UTF-8 bytes', () => {
    expect(chatTooLong('a'.repeat(CHAT_LIMIT_BYTES))).toBeNull();
    expect(chatTooLong('a'.repeat(CHAT_LIMIT_BYTES + 1))).toMatch(/too long.*32 KB/);
    // "é" is two bytes: half as many characters reach the limit.
    expect(chatTooLong('é'.repeat(CHAT_LIMIT_BYTES / 2))).toBeNull();
    expect(chatTooLong('é'.repeat(CHAT_LIMIT_BYTES / 2 + 1))).not.toBeNull();
  });
});

describe('formatBytes', () => {
  it.each([
    [null, '—'],
    [512, '512 B'],
    [1536, '1.5 KB'],
    [5 * 1024 * 1024, '5.0 MB'],
    [300 * 1024 * 1024, '300 MB'],
  ])('%s → %s', (n, want) => {
    expect(formatBytes(n)).toBe(want);
  });
});

describe('creditsNoticeText', () => {
  it('states the balance as it is now', () => {
    const n = { level: 'critical', message: 'Eliza Cloud credits are almost gone: $0.30 left.' };
    expect(creditsNoticeText(n, { balance: 0, low: true, critical: true, topUpUrl: '' })).toBe(
      'Credits almost gone: $0.00 left. Top up now or your agent will stop.',
    );
    expect(creditsNoticeText({ level: 'warning', message: 'x' }, { balance: 1.2, low: true, critical: false, topUpUrl: '' })).toBe(
      'Credits low: $1.20 left. Top up to keep your agent running.',
    );
    // Unknown balance: keep the notice's own words.
    expect(creditsNoticeText(n, { balance: null, low: false, critical: false, topUpUrl: '' })).toBe(n.message);
  });
});

describe('explainError', () => {
  it('says one sentence from the kind and keeps the chain for Details', () => {
    const raw = 'reconnect to agent de79 failed after 3 attempts: heartbeat: heartbeat de79: Sandbox is not running';
    const e = explainError(Object.assign(new Error(raw), { status: 500 }), 'connect the agent');
    expect(e.sentence).toBe('Could not connect the agent: the agent is not running on Eliza Cloud. Resume it, then try again.');
    expect(e.details).toBe(raw);
    const gw = explainError(Object.assign(new Error('HTTP 502: <html><body><h1>502 Bad Gateway'), { status: 502 }), 'take a snapshot');
    expect(gw.sentence).toMatch(/^Could not take a snapshot: Eliza Cloud is having trouble/);
    expect(gw.sentence).not.toMatch(/html|502/);
    expect(explainError(Object.assign(new Error('name is required'), { status: 400 }), 'x')).toEqual({ sentence: 'name is required', details: '' });
  });
});

describe('splitNotice', () => {
  it('moves an error chain behind Details and keeps plain notices whole', () => {
    expect(
      splitNotice('Backup of your agent failed: snapshot agent 2843438a-c0c7-48ff-86d7-1a86e050aac0: HTTP 502: <html><body>'),
    ).toEqual({
      sentence: 'Backup of your agent failed.',
      details: 'snapshot agent 2843438a-c0c7-48ff-86d7-1a86e050aac0: HTTP 502: <html><body>',
    });
    expect(splitNotice('Lost the connection to x and could not reconnect. Open Milady Cloud to connect again.').sentence).toBe(
      'Lost the connection to x and could not reconnect. Use Reconnect on the Overview to connect again.',
    );
    expect(splitNotice('Eliza Cloud credits are low: $1.50 left. Top up.')).toEqual({
      sentence: 'Eliza Cloud credits are low: $1.50 left. Top up.',
      details: '',
    });
  });
});
