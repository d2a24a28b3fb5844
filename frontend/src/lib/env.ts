// The create-agent form: the agent name and environment variables typed as
// `KEY=value` lines. Validation happens here, before anything is sent, so
// the message can name the line that is wrong.

export type EnvResult = { ok: true; vars: Record<string, string> } | { ok: false; error: string };

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Agent names are 1..100 characters upstream (cloud-api.md). */
export const MAX_AGENT_NAME = 100;

/**
 * parseEnvLines reads `KEY=value` lines. Blank lines and `#` comments are
 * skipped; the value is everything after the first `=` (it may be empty or
 * contain `=`), with one pair of surrounding quotes removed; an `export `
 * prefix is allowed so a pasted .env file works.
 */
export function parseEnvLines(text: string): EnvResult {
  const vars: Record<string, string> = {};
  const firstLine = new Map<string, number>();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.startsWith('export ') ? line.slice('export '.length).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq === -1) {
      return { ok: false, error: `Line ${n}: expected KEY=value, got "${clip(body)}".` };
    }
    const key = body.slice(0, eq).trim();
    if (key === '') {
      return { ok: false, error: `Line ${n}: the variable name before "=" is missing.` };
    }
    if (!KEY_RE.test(key)) {
      return {
        ok: false,
        error: `Line ${n}: "${clip(key)}" is not a valid variable name (use letters, digits and _, not starting with a digit).`,
      };
    }
    const first = firstLine.get(key);
    if (first !== undefined) {
      return { ok: false, error: `Line ${n}: ${key} is already set on line ${first}.` };
    }
    firstLine.set(key, n);
    vars[key] = unquote(body.slice(eq + 1).trim());
  }
  return { ok: true, vars };
}

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** validateAgentName returns the problem with a name, or null. */
export function validateAgentName(name: string): string | null {
  const n = name.trim();
  if (n === '') return 'Give the agent a name.';
  if ([...n].length > MAX_AGENT_NAME) return `The name is too long (at most ${MAX_AGENT_NAME} characters).`;
  return null;
}
