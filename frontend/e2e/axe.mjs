// axe-core inside the e2e: each checkpoint runs axe on the page as it is, in
// light and dark, at 1280 and 420 px wide. Violations of impact serious or
// critical fail the step; every violation is counted per rule so the run
// can print a summary.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

/** The combinations each checkpoint is run in. */
export const VARIANTS = [
  { scheme: 'light', width: 1280 },
  { scheme: 'dark', width: 1280 },
  { scheme: 'light', width: 420 },
  { scheme: 'dark', width: 420 },
];

/** AxeTally counts violations per rule and impact over all runs. */
export class AxeTally {
  runs = 0;
  /** @type {Map<string, {impact: string, nodes: number, runs: number}>} */
  rules = new Map();

  add(violations) {
    this.runs++;
    for (const v of violations) {
      const r = this.rules.get(v.id) ?? { impact: v.impact ?? 'unknown', nodes: 0, runs: 0 };
      r.nodes += v.nodes.length;
      r.runs++;
      this.rules.set(v.id, r);
    }
  }

  /** summary is one line per rule, most serious first. */
  summary() {
    const order = { critical: 0, serious: 1, moderate: 2, minor: 3 };
    const lines = [...this.rules.entries()]
      .sort((a, b) => (order[a[1].impact] ?? 9) - (order[b[1].impact] ?? 9) || a[0].localeCompare(b[0]))
      .map(([id, r]) => `    ${id} (${r.impact}): ${r.nodes} nodes in ${r.runs} runs`);
    return [`axe: ${this.runs} runs, ${this.rules.size} rules violated`, ...(lines.length ? lines : ['    (none)'])].join('\n');
  }
}

/**
 * checkA11y runs axe on the page in every variant and throws if a serious
 * or critical violation is found. The page's viewport and colour scheme
 * are restored afterwards.
 */
export async function checkA11y(page, label, tally) {
  const size = page.viewportSize();
  const bad = [];
  try {
    for (const v of VARIANTS) {
      await page.emulateMedia({ colorScheme: v.scheme });
      await page.setViewportSize({ width: v.width, height: size?.height ?? 800 });
      if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE_PATH });
      // Let a layout change settle (media queries, transitions).
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((x) => ({
          id: x.id,
          impact: x.impact,
          help: x.help,
          nodes: x.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
        }));
      });
      tally.add(violations);
      for (const x of violations) {
        if (x.impact !== 'serious' && x.impact !== 'critical') continue;
        for (const n of x.nodes) bad.push(`[${v.scheme} ${v.width}px] ${x.id} (${x.impact}) ${n.target}: ${n.summary?.split('\n').slice(1).join(' ').trim()}`);
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
    if (size) await page.setViewportSize(size);
  }
  if (bad.length) throw new Error(`axe on "${label}": ${bad.length} serious/critical\n      ${bad.join('\n      ')}`);
}
