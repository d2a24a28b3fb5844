// The balance card's burn-rate estimate and chart geometry, from the stored
// balance samples (GET /api/cloud/credits/history).

import { formatMoney, parseTime } from './format';
import type { BalanceSample } from './types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Less history than this gives a rate too noisy to show. */
export const MIN_SPAN_MS = HOUR;
/** Only this much recent history counts, so old habits fade out. */
export const WINDOW_MS = 7 * DAY;

export interface Burn {
  /** Dollars spent per day over the window (top-ups excluded). */
  perDay: number;
  /** Days until the balance reaches zero at that rate; null when not spending. */
  daysLeft: number | null;
}

interface Point {
  t: number;
  v: number;
}

function points(samples: readonly BalanceSample[]): Point[] {
  return samples
    .map((s) => ({ t: parseTime(s.at), v: s.balance }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);
}

/**
 * estimateBurn is the spending rate over the last week: the sum of every
 * drop between consecutive samples (a rise is a top-up, not negative
 * spending) divided by the time covered. Null when fewer than two samples
 * or less than an hour of history.
 */
export function estimateBurn(samples: readonly BalanceSample[], now: number, balance?: number | null): Burn | null {
  const pts = points(samples).filter((p) => p.t >= now - WINDOW_MS && p.t <= now + 60_000);
  if (pts.length < 2) return null;
  const span = pts[pts.length - 1].t - pts[0].t;
  if (span < MIN_SPAN_MS) return null;
  let spent = 0;
  for (let i = 1; i < pts.length; i++) spent += Math.max(0, pts[i - 1].v - pts[i].v);
  const perDay = (spent / span) * DAY;
  const current = balance ?? pts[pts.length - 1].v;
  const daysLeft = perDay > 0 ? Math.max(0, current) / perDay : null;
  return { perDay, daysLeft };
}

/** burnText: "≈ $0.24/day · about 52 days left", or "not enough data yet". */
export function burnText(b: Burn | null): string {
  if (b === null) return 'not enough data yet';
  if (b.daysLeft === null || b.perDay < 0.005) return 'no spending in the last few days';
  return `≈ ${formatMoney(b.perDay)}/day · ${leftText(b.daysLeft)}`;
}

function leftText(days: number): string {
  if (days <= 0) return 'nothing left';
  if (days < 1) {
    const h = Math.max(1, Math.round(days * 24));
    return `about ${h} hour${h === 1 ? '' : 's'} left`;
  }
  if (days > 365 * 2) return 'more than two years left';
  const d = Math.round(days);
  return `about ${d} day${d === 1 ? '' : 's'} left`;
}

export interface Chart {
  /** SVG path of the line ("" when there is nothing to draw). */
  line: string;
  /** SVG path of the area under the line. */
  area: string;
  min: number;
  max: number;
  /** y of a balance, for threshold lines (null when out of range). */
  y: (v: number) => number | null;
}

/**
 * chartPaths lays the samples of the window out in a w×h box (time on x,
 * balance on y, a margin of 4 px). A single sample is drawn as a flat line.
 */
export function chartPaths(samples: readonly BalanceSample[], w: number, h: number, now: number): Chart {
  const pts = points(samples).filter((p) => p.t >= now - WINDOW_MS);
  if (pts.length === 0) return { line: '', area: '', min: 0, max: 0, y: () => null };
  const m = 4;
  let min = Math.min(...pts.map((p) => p.v));
  let max = Math.max(...pts.map((p) => p.v));
  if (max - min < 0.01) {
    min -= 0.5;
    max += 0.5;
  }
  min = Math.max(0, min);
  const t0 = pts[0].t;
  const t1 = pts.length > 1 ? pts[pts.length - 1].t : t0 + 1;
  const x = (t: number) => m + ((t - t0) / (t1 - t0)) * (w - 2 * m);
  const y = (v: number) => m + (1 - (v - min) / (max - min)) * (h - 2 * m);
  const r = (n: number) => Math.round(n * 10) / 10;
  const drawn = pts.length > 1 ? pts : [pts[0], { t: t1, v: pts[0].v }];
  const line = drawn.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(x(p.t))},${r(y(p.v))}`).join(' ');
  const area = `${line} L${r(x(drawn[drawn.length - 1].t))},${h - m} L${r(x(drawn[0].t))},${h - m} Z`;
  return {
    line,
    area,
    min,
    max,
    y: (v) => (v < min || v > max ? null : r(y(v))),
  };
}
