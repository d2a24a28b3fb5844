import { describe, expect, it } from 'vitest';
import { readSSE, SSEParser, type SSEMessage } from './sse';

function parseAll(chunks: string[]): SSEMessage[] {
  const out: SSEMessage[] = [];
  const p = new SSEParser((m) => out.push(m));
  for (const c of chunks) p.push(c);
  return out;
}

const STREAM =
  ': ping\n\nevent: chunk\ndata: {"text":"Hel"}\n\nevent: chunk\ndata: {"text":"lo"}\n\n' +
  'event: done\ndata: {"agentId":"a1"}\n\n';

const EXPECTED: SSEMessage[] = [
  { event: 'chunk', data: '{"text":"Hel"}' },
  { event: 'chunk', data: '{"text":"lo"}' },
  { event: 'done', data: '{"agentId":"a1"}' },
];

describe('SSEParser', () => {
  it('parses whole blocks and skips comments', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same messages however the stream is split', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      for (const j of [i, Math.min(STREAM.length, i + 7)]) {
        const got = parseAll([STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)]);
        expect(got, `split at ${i},${j}`).toEqual(EXPECTED);
      }
    }
  });

  it('handles CRLF and CR line ends, including a CRLF split across chunks', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    for (let i = 0; i <= crlf.length; i++) {
      expect(parseAll([crlf.slice(0, i), crlf.slice(i)]), `split at ${i}`).toEqual(EXPECTED);
    }
    expect(parseAll([STREAM.replace(/\n/g, '\r')])).toEqual(EXPECTED);
  });

  it('joins multi-line data, defaults the event name, keeps ids, ignores blocks without data', () => {
    const got = parseAll(['data: a\ndata:b\nid: 7\n\nevent: empty\n\nretry: 5\ndata\n\n']);
    expect(got).toEqual([
      { event: 'message', data: 'a\nb', id: '7' },
      { event: 'message', data: '', id: '7' },
    ]);
  });

  it('does not dispatch a block until its blank line, and end() flushes it', () => {
    const out: SSEMessage[] = [];
    const p = new SSEParser((m) => out.push(m));
    p.push('event: state\ndata: {"x":1}\n');
    expect(out).toEqual([]);
    p.end();
    expect(out).toEqual([{ event: 'state', data: '{"x":1}' }]);
  });
});

describe('readSSE', () => {
  it('reads a byte stream split inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('event: chunk\ndata: {"text":"héllo ✓"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.slice(i, i + 3));
        c.close();
      },
    });
    const out: SSEMessage[] = [];
    await readSSE(body, (m) => out.push(m));
    expect(out).toEqual([{ event: 'chunk', data: '{"text":"héllo ✓"}' }]);
  });
});
