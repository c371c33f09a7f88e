// Incremental Server-Sent Events parser (https://html.spec.whatwg.org/#event-stream-interpretation),
// fed with decoded text chunks that may split lines and events anywhere.

import type { ChatChunk, ServerEvent } from './types';

export class SSEParser {
  private buf = '';
  private data: string[] = [];
  private event = '';

  /** Feeds a chunk of text; returns the events completed by it. */
  push(chunk: string): ServerEvent[] {
    this.buf += chunk;
    const out: ServerEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      // A lone trailing \r may be the first half of \r\n: wait for more input.
      if (m[0] === '\r' && m.index === this.buf.length - 1) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  /** Ends the stream: an event not terminated by a blank line is still delivered. */
  end(): ServerEvent[] {
    const out: ServerEvent[] = [];
    if (this.buf !== '') {
      const ev = this.line(this.buf);
      this.buf = '';
      if (ev) out.push(ev);
    }
    const ev = this.line('');
    if (ev) out.push(ev);
    return out;
  }

  private line(line: string): ServerEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const ev = { event: this.event || 'message', data: this.data.join('\n') };
      this.data = [];
      this.event = '';
      return ev;
    }
    if (line.startsWith(':')) return null;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    return null;
  }
}

export type ChatStreamItem =
  | { kind: 'delta'; text: string }
  | { kind: 'usage'; prompt_tokens: number; completion_tokens: number }
  | { kind: 'finish'; reason: string }
  | { kind: 'error'; message: string }
  | { kind: 'done' };

/** Interprets one SSE event of an OpenAI chat completion stream. */
export function parseChatEvent(ev: ServerEvent): ChatStreamItem[] {
  const data = ev.data.trim();
  if (data === '[DONE]') return [{ kind: 'done' }];
  if (data === '') return [];
  let chunk: ChatChunk;
  try {
    chunk = JSON.parse(data) as ChatChunk;
  } catch {
    return [{ kind: 'error', message: `Malformed stream data: ${data.slice(0, 200)}` }];
  }
  const items: ChatStreamItem[] = [];
  if (chunk.error || ev.event === 'error') {
    items.push({ kind: 'error', message: chunk.error?.message ?? 'Stream error' });
    return items;
  }
  for (const c of chunk.choices ?? []) {
    const text = c.delta?.content;
    if (typeof text === 'string' && text !== '') items.push({ kind: 'delta', text });
    if (c.finish_reason) items.push({ kind: 'finish', reason: c.finish_reason });
  }
  if (chunk.usage) {
    items.push({
      kind: 'usage',
      prompt_tokens: chunk.usage.prompt_tokens,
      completion_tokens: chunk.usage.completion_tokens,
    });
  }
  return items;
}
