import { describe, expect, it } from 'vitest';
import { SSEParser, parseChatEvent } from './sse';

describe('SSEParser', () => {
  it('parses events split at arbitrary points', () => {
    const text = 'event: notification\ndata: {"a":1}\n\ndata: two\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SSEParser();
      const evs = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
      expect(evs).toEqual([
        { event: 'notification', data: '{"a":1}' },
        { event: 'message', data: 'two' },
      ]);
    }
  });

  it('handles CRLF and CR line endings, including a CRLF split across chunks', () => {
    const p = new SSEParser();
    expect(p.push('data: a\r')).toEqual([]);
    expect(p.push('\n\r\ndata: b\r\r')).toEqual([{ event: 'message', data: 'a' }]);
    // The final lone CR might be half of a CRLF: it completes on the next chunk or at the end.
    expect(p.push('x: y\n')).toEqual([{ event: 'message', data: 'b' }]);
  });

  it('joins multi-line data and ignores comments and unknown fields', () => {
    const p = new SSEParser();
    expect(p.push(': keep-alive\nid: 7\nretry: 100\ndata: line1\ndata:line2\n\n')).toEqual([{ event: 'message', data: 'line1\nline2' }]);
  });

  it('delivers an unterminated last event on end()', () => {
    const p = new SSEParser();
    expect(p.push('data: [DONE]')).toEqual([]);
    expect(p.end()).toEqual([{ event: 'message', data: '[DONE]' }]);
  });

  it('drops blank-line runs without data', () => {
    const p = new SSEParser();
    expect(p.push('\n\n\nevent: x\n\n')).toEqual([]);
  });
});

describe('parseChatEvent', () => {
  const ev = (data: string, event = 'message') => ({ event, data });

  it('reads content deltas and the finish reason', () => {
    expect(parseChatEvent(ev('{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}'))).toEqual([]);
    expect(parseChatEvent(ev('{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}'))).toEqual([{ kind: 'delta', text: 'Hi' }]);
    expect(parseChatEvent(ev('{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}'))).toEqual([{ kind: 'finish', reason: 'length' }]);
  });

  it('reads usage chunks', () => {
    expect(parseChatEvent(ev('{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}'))).toEqual([
      { kind: 'usage', prompt_tokens: 5, completion_tokens: 7 },
    ]);
  });

  it('recognises [DONE], errors and garbage', () => {
    expect(parseChatEvent(ev('[DONE]'))).toEqual([{ kind: 'done' }]);
    expect(parseChatEvent(ev('{"error":{"message":"cut"}}'))).toEqual([{ kind: 'error', message: 'cut' }]);
    expect(parseChatEvent(ev('{}', 'error'))).toEqual([{ kind: 'error', message: 'Stream error' }]);
    expect(parseChatEvent(ev('not json'))[0]).toMatchObject({ kind: 'error' });
  });
});
