import { describe, expect, it } from 'vitest';
import { inProgress, progressText, recoveryText } from './progress';

describe('connection progress in words', () => {
  it('names each phase of the provisioning job', () => {
    expect(progressText({ phase: 'queued', message: '' })).toBe('Queued: waiting for Eliza Cloud to start the agent');
    expect(progressText({ phase: 'starting', message: '' })).toBe('Starting the agent on Eliza Cloud');
    expect(progressText({ phase: 'retrying', retry: 2, maxAttempts: 3, message: 'x' })).toBe('Starting failed; retrying (2 of 3)');
    expect(progressText({ phase: 'retrying', message: '' })).toBe('Starting failed; retrying (1 of 3)');
    expect(progressText({ phase: 'other', message: 'Said by the app' })).toBe('Said by the app');
  });

  it('names the recovery step', () => {
    expect(recoveryText({ step: 'resume', n: 2, of: 3, message: 'Asking Eliza Cloud to resume it.' })).toBe(
      'Recovering the agent, step 2 of 3: Asking Eliza Cloud to resume it',
    );
  });

  it('offers Cancel while connecting or recovering', () => {
    expect(inProgress({ state: 'connecting', since: '' })).toBe(true);
    expect(inProgress({ state: 'reconnecting', since: '', recovery: { step: 'resume', n: 2, of: 3, message: '' } })).toBe(true);
    expect(inProgress({ state: 'reconnecting', since: '' })).toBe(false);
    expect(inProgress({ state: 'connected', since: '' })).toBe(false);
  });
});
