// Words for the usage view (recent credit transactions, burn rate) and the
// backups' coverage period. Pure, so the wording is tested once.

import { parseTime } from './format';
import type { Backup, UsageResponse } from './types';

const HOUR = 3_600_000;

/**
 * formatCredits renders an amount of credits without hiding small ones:
 * the cloud bills agents by the hundredth of a credit per hour, so "0.00"
 * would say nothing. "12.5", "0.01", "0.0025", "1,250".
 */
export function formatCredits(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a === 0) return '0';
  if (a >= 100) return Math.round(n).toLocaleString('en-US');
  if (a >= 1) return String(Math.round(n * 100) / 100);
  return String(Number(n.toPrecision(2)));
}

/** formatAmount is a transaction's signed amount: "+10", "−0.01". */
export function formatAmount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return `${n < 0 ? '−' : '+'}${formatCredits(Math.abs(n))}`;
}

/** lastsText says how long a balance lasts at a rate per hour: "≈ 52 days". */
export function lastsText(balance: number, perHour: number): string {
  if (balance <= 0) return 'nothing left';
  const hours = balance / perHour;
  if (hours < 1) return 'less than an hour';
  if (hours < 48) {
    const h = Math.round(hours);
    return `≈ ${h} hour${h === 1 ? '' : 's'}`;
  }
  const days = hours / 24;
  if (days > 730) return 'more than two years';
  const d = Math.round(days);
  return `≈ ${d} days`;
}

/**
 * burnRateText is the usage view's one line: "≈ 0.02 credits/hour, lasts ≈
 * 52 days". The rate is the cloud's debits over the hours they cover; it
 * is unknown with fewer than two debits.
 */
export function burnRateText(u: Pick<UsageResponse, 'burnRatePerHour'>, balance: number | null | undefined): string {
  const r = u.burnRatePerHour;
  if (r === null || r === undefined || !Number.isFinite(r)) return 'Not enough spending yet to estimate a burn rate.';
  if (r <= 0) return 'No spending in this period.';
  const rate = `≈ ${formatCredits(r)} credits/hour`;
  if (balance === null || balance === undefined || !Number.isFinite(balance)) return rate;
  if (balance <= 0) return `${rate}, nothing left`;
  return `${rate}, lasts ${lastsText(balance, r)}`;
}

/** periodText names the window the usage covers: "last 24 hours", "last 7 days". */
export function periodText(hours: number): string {
  if (hours % 24 === 0 && hours >= 48) return `last ${hours / 24} days`;
  if (hours === 1) return 'last hour';
  return `last ${hours} hours`;
}

export interface ClockFormat {
  locale?: string;
  timeZone?: string;
}

function span(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  if (h < 48) return m ? `${h} h ${m} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/**
 * coverageText says what period the kept backups cover ("Kept backups
 * cover 14:02–17:40 (3 h 38 min)"): the cloud keeps only the newest ten,
 * so this is how far back a restore can go. Dates are added when the
 * period crosses midnight. Null without backups.
 */
export function coverageText(backups: readonly Pick<Backup, 'createdAt'>[], fmt: ClockFormat = {}): string | null {
  const ts = backups.map((b) => parseTime(b.createdAt)).filter((t) => Number.isFinite(t));
  if (ts.length === 0) return null;
  const first = Math.min(...ts);
  const last = Math.max(...ts);
  const time = new Intl.DateTimeFormat(fmt.locale, { hour: '2-digit', minute: '2-digit', timeZone: fmt.timeZone });
  const day = new Intl.DateTimeFormat(fmt.locale, { day: 'numeric', month: 'short', timeZone: fmt.timeZone });
  if (ts.length === 1) return `The one kept backup is from ${time.format(first)}.`;
  const sameDay = day.format(first) === day.format(last) && last - first < 24 * HOUR;
  const from = sameDay ? time.format(first) : `${day.format(first)} ${time.format(first)}`;
  const to = sameDay ? time.format(last) : `${day.format(last)} ${time.format(last)}`;
  return `Kept backups cover ${from}–${to} (${span(last - first)}).`;
}
