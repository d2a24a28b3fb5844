// An incremental Server-Sent Events parser (the WHATWG event-stream format)
// for streams read with fetch: the chat stream is a POST, and the event
// stream needs an Authorization header when an API token is set, and
// EventSource can do neither.

export interface SSEMessage {
  /** The `event:` field; "message" when the block had none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The `id:` field, when present. */
  id?: string;
}

/**
 * SSEParser turns text chunks, split anywhere (mid-line, mid-CRLF), into
 * complete messages. A message is dispatched at the blank line that ends
 * its block; comment lines (": ping") and blocks without data are skipped,
 * as a browser's EventSource would.
 */
export class SSEParser {
  private buf = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private sawCR = false;

  constructor(private readonly onMessage: (m: SSEMessage) => void) {}

  /** push feeds the next chunk of decoded text. */
  push(chunk: string): void {
    let text = chunk;
    // A CR at the end of the previous chunk already ended a line; a LF
    // starting this one belongs to that CRLF.
    if (this.sawCR && text.startsWith('\n')) text = text.slice(1);
    this.sawCR = false;
    this.buf += text;
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buf.slice(start, i));
      if (c === '\r') {
        if (i + 1 < this.buf.length) {
          if (this.buf[i + 1] === '\n') i++;
        } else {
          this.sawCR = true;
        }
      }
      start = i + 1;
    }
    this.buf = this.buf.slice(start);
  }

  /** end flushes a final block that was not followed by a blank line. */
  end(): void {
    if (this.buf !== '') this.line(this.buf);
    this.buf = '';
    this.line('');
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        const m: SSEMessage = { event: this.event || 'message', data: this.data.join('\n') };
        if (this.id !== undefined) m.id = this.id;
        this.onMessage(m);
      }
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        this.id = value;
        break;
      default:
      // "retry" and unknown fields are ignored.
    }
  }
}

/**
 * readSSE reads a fetch Response body to its end, calling onMessage for each
 * message as soon as its block is complete. Aborting `signal` (from the
 * callback or outside) cancels the body and returns: a fetch body does not
 * always notice its request's abort by itself.
 */
export async function readSSE(
  body: ReadableStream<Uint8Array>,
  onMessage: (m: SSEMessage) => void,
  signal?: AbortSignal,
  /** Called for every chunk read, comments (": ping") included: the stream is alive. */
  onChunk?: () => void,
): Promise<void> {
  const parser = new SSEParser(onMessage);
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => {
    reader.cancel().catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel);
  try {
    while (!signal?.aborted) {
      const { value, done } = await reader.read();
      if (done) {
        parser.push(decoder.decode());
        parser.end();
        break;
      }
      onChunk?.();
      parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}
