import { describe, expect, it } from 'vitest';
import { burnText, chartPaths, estimateBurn } from './burn';

const NOW = Date.parse('2026-03-10T00:00:00Z');
const H = 3_600_000;
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

describe('estimateBurn', () => {
  it('needs two samples over at least an hour', () => {
    expect(estimateBurn([], NOW)).toBeNull();
    expect(estimateBurn([{ at: at(0), balance: 5 }], NOW)).toBeNull();
    expect(estimateBurn([{ at: at(30 * 60_000), balance: 5 }, { at: at(0), balance: 4 }], NOW)).toBeNull();
    expect(burnText(null)).toBe('not enough data yet');
  });

  it('is spending per day and days left at that rate', () => {
    // $0.24 over one day, $12.50 left → ≈ 52 days.
    const b = estimateBurn([{ at: at(24 * H), balance: 12.74 }, { at: at(12 * H), balance: 12.62 }, { at: at(0), balance: 12.5 }], NOW);
    expect(b?.perDay).toBeCloseTo(0.24, 6);
    expect(b?.daysLeft).toBeCloseTo(52.08, 1);
    expect(burnText(b)).toBe('≈ $0.24/day · about 52 days left');
  });

  it('does not count a top-up as negative spending', () => {
    const b = estimateBurn(
      [
        { at: at(48 * H), balance: 1.0 },
        { at: at(24 * H), balance: 0.5 },
        { at: at(23 * H), balance: 20.5 }, // top-up
        { at: at(0), balance: 20.0 },
      ],
      NOW,
    );
    expect(b?.perDay).toBeCloseTo(0.5, 6); // $1 spent over 2 days
    expect(b?.daysLeft).toBeCloseTo(40, 6);
  });

  it('ignores samples older than a week and sorts unsorted input', () => {
    const b = estimateBurn(
      [
        { at: at(0), balance: 9 },
        { at: at(30 * 24 * H), balance: 100 },
        { at: at(24 * H), balance: 10 },
      ],
      NOW,
    );
    expect(b?.perDay).toBeCloseTo(1, 6);
  });

  it('uses the live balance for days left when given', () => {
    const b = estimateBurn([{ at: at(24 * H), balance: 10 }, { at: at(0), balance: 9 }], NOW, 0.25);
    expect(burnText(b)).toBe('≈ $1.00/day · about 6 hours left');
  });

  it('says when nothing is being spent', () => {
    const b = estimateBurn([{ at: at(5 * H), balance: 3 }, { at: at(0), balance: 3 }], NOW);
    expect(b).toEqual({ perDay: 0, daysLeft: null });
    expect(burnText(b)).toBe('no spending in the last few days');
  });
});

describe('chartPaths', () => {
  it('draws nothing without samples', () => {
    expect(chartPaths([], 100, 50, NOW).line).toBe('');
  });

  it('maps time to x and balance to y inside the margins', () => {
    const c = chartPaths([{ at: at(2 * H), balance: 10 }, { at: at(0), balance: 5 }], 108, 58, NOW);
    expect(c.line).toBe('M4,4 L104,54');
    expect(c.area).toBe('M4,4 L104,54 L104,54 L4,54 Z');
    expect(c.y(7.5)).toBe(29);
    expect(c.y(2)).toBeNull();
  });

  it('draws one sample as a flat line', () => {
    const c = chartPaths([{ at: at(0), balance: 5 }], 108, 58, NOW);
    expect(c.line).toBe('M4,29 L104,29');
  });
});
