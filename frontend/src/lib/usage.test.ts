import { describe, expect, it } from 'vitest';
import { burnRateText, coverageText, formatAmount, formatCredits, lastsText, periodText } from './usage';

describe('formatCredits and formatAmount', () => {
  it('keeps small hosting amounts visible', () => {
    expect(formatCredits(0)).toBe('0');
    expect(formatCredits(0.01)).toBe('0.01');
    expect(formatCredits(0.0025)).toBe('0.0025');
    expect(formatCredits(0.012345)).toBe('0.012');
    expect(formatCredits(12.5)).toBe('12.5');
    expect(formatCredits(1250)).toBe('1,250');
    expect(formatCredits(Number.NaN)).toBe('—');
  });

  it('signs transactions', () => {
    expect(formatAmount(10)).toBe('+10');
    expect(formatAmount(-0.01)).toBe('−0.01');
  });
});

describe('burn rate', () => {
  it('says the rate and how long the balance lasts', () => {
    // 0.02/h and 25 credits: 1,250 h ≈ 52 days.
    expect(burnRateText({ burnRatePerHour: 0.02 }, 25)).toBe('≈ 0.02 credits/hour, lasts ≈ 52 days');
    expect(burnRateText({ burnRatePerHour: 0.5 }, 10)).toBe('≈ 0.5 credits/hour, lasts ≈ 20 hours');
    expect(burnRateText({ burnRatePerHour: 2 }, 1)).toBe('≈ 2 credits/hour, lasts less than an hour');
    expect(burnRateText({ burnRatePerHour: 0.0025 }, 100)).toBe('≈ 0.0025 credits/hour, lasts more than two years');
    expect(burnRateText({ burnRatePerHour: 0.02 }, 0)).toBe('≈ 0.02 credits/hour, nothing left');
  });

  it('is honest without enough data or without a balance', () => {
    expect(burnRateText({ burnRatePerHour: null }, 25)).toBe('Not enough spending yet to estimate a burn rate.');
    expect(burnRateText({ burnRatePerHour: 0 }, 25)).toBe('No spending in this period.');
    expect(burnRateText({ burnRatePerHour: 0.02 }, null)).toBe('≈ 0.02 credits/hour');
  });

  it('words durations', () => {
    expect(lastsText(1, 1)).toBe('≈ 1 hour');
    expect(lastsText(48, 1)).toBe('≈ 2 days');
    expect(periodText(24)).toBe('last 24 hours');
    expect(periodText(168)).toBe('last 7 days');
    expect(periodText(720)).toBe('last 30 days');
    expect(periodText(1)).toBe('last hour');
  });
});

describe('coverageText', () => {
  const fmt = { locale: 'en-GB', timeZone: 'UTC' };
  it('names the period the kept backups cover, oldest to newest', () => {
    const backups = [
      { createdAt: '2026-03-02T17:40:10Z' },
      { createdAt: '2026-03-02T14:02:00Z' },
      { createdAt: '2026-03-02T15:00:00Z' },
    ];
    expect(coverageText(backups, fmt)).toBe('Kept backups cover 14:02–17:40 (3 h 38 min).');
  });

  it('adds the dates across midnight, and handles one or no backup', () => {
    const backups = [{ createdAt: '2026-03-01T22:00:00Z' }, { createdAt: '2026-03-02T01:30:00Z' }];
    expect(coverageText(backups, fmt)).toBe('Kept backups cover 1 Mar 22:00–2 Mar 01:30 (3 h 30 min).');
    expect(coverageText([{ createdAt: '2026-03-02T14:02:00Z' }], fmt)).toBe('The one kept backup is from 14:02.');
    expect(coverageText([], fmt)).toBeNull();
    expect(coverageText([{ createdAt: 'garbage' }], fmt)).toBeNull();
  });

  it('says a long span in days', () => {
    const backups = [{ createdAt: '2026-03-01T10:00:00Z' }, { createdAt: '2026-03-04T10:00:00Z' }];
    expect(coverageText(backups, fmt)).toBe('Kept backups cover 1 Mar 10:00–4 Mar 10:00 (3 days).');
  });
});
