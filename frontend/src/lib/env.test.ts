import { describe, expect, it } from 'vitest';
import { parseEnvLines, validateAgentName } from './env';

describe('parseEnvLines', () => {
  it('reads KEY=value lines, skipping blanks and comments', () => {
    const r = parseEnvLines('A=1\n\n# comment\n  B = two words \r\nexport C="quoted = yes"\nD=\nE=a=b');
    expect(r).toEqual({ ok: true, vars: { A: '1', B: 'two words', C: 'quoted = yes', D: '', E: 'a=b' } });
  });

  it('accepts nothing at all', () => {
    expect(parseEnvLines('')).toEqual({ ok: true, vars: {} });
    expect(parseEnvLines('\n  \n')).toEqual({ ok: true, vars: {} });
  });

  it('names the line of a malformed entry', () => {
    const r = parseEnvLines('A=1\nnot a pair');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Line 2: expected KEY=value/);
  });

  it('refuses a missing or invalid name', () => {
    const missing = parseEnvLines('=value');
    expect(missing.ok || missing.error).toMatch(/Line 1: the variable name/);
    const bad = parseEnvLines('OK=1\n1ABC=2');
    expect(bad.ok || bad.error).toMatch(/Line 2: "1ABC" is not a valid variable name/);
    const dash = parseEnvLines('MY-KEY=2');
    expect(dash.ok).toBe(false);
  });

  it('refuses duplicate keys and says where the first one was', () => {
    const r = parseEnvLines('A=1\nB=2\nA=3');
    expect(r.ok || r.error).toBe('Line 3: A is already set on line 1.');
  });

  it('treats keys as case-sensitive', () => {
    expect(parseEnvLines('a=1\nA=2')).toEqual({ ok: true, vars: { a: '1', A: '2' } });
  });
});

describe('validateAgentName', () => {
  it('requires a non-blank name of at most 100 characters', () => {
    expect(validateAgentName('')).toMatch(/name/);
    expect(validateAgentName('   ')).toMatch(/name/);
    expect(validateAgentName('Milady')).toBeNull();
    expect(validateAgentName('x'.repeat(100))).toBeNull();
    expect(validateAgentName('x'.repeat(101))).toMatch(/too long/);
  });
});
