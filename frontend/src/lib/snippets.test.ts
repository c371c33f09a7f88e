import { describe, expect, it } from 'vitest';
import { curlSnippet, jsLiteral, jsSnippet, pyLiteral, pythonSnippet, requestBody, shellQuote, type SnippetRequest } from './snippets';

const req: SnippetRequest = {
  baseUrl: 'http://127.0.0.1:8800/v1',
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: "Be brief. Don't ramble." },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
  ],
  temperature: 0.7,
  max_tokens: null,
  stream: true,
};

describe('requestBody', () => {
  it('includes only the parameters that are set, and usage for streams', () => {
    expect(requestBody(req)).toEqual({ model: 'gpt-4o', messages: req.messages, temperature: 0.7, stream: true, stream_options: { include_usage: true } });
    expect(requestBody({ ...req, temperature: undefined, max_tokens: 5, stream: false })).toEqual({ model: 'gpt-4o', messages: req.messages, max_tokens: 5 });
  });
});

describe('curl', () => {
  it('quotes for the shell so the body survives apostrophes', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const s = curlSnippet(req);
    expect(s).toContain("curl -N 'http://127.0.0.1:8800/v1/chat/completions'");
    expect(s).toContain('-H "Authorization: Bearer $OPENAI_API_KEY"');
    expect(s).toContain(`Don'\\''t ramble`);
    // What the shell passes to curl is exactly the JSON body.
    const quoted = s.slice(s.indexOf("-d '") + 3);
    const unquoted = quoted.slice(1, -1).replace(/'\\''/g, "'");
    expect(JSON.parse(unquoted)).toEqual(requestBody(req));
  });
});

describe('python', () => {
  it('writes Python literals', () => {
    expect(pyLiteral({ a: true, b: null, c: [1, 'x'], d: false })).toBe('{\n    "a": True,\n    "b": None,\n    "c": [\n        1,\n        "x",\n    ],\n    "d": False,\n}');
    expect(pyLiteral([])).toBe('[]');
    expect(pyLiteral('line\n"q"')).toBe('"line\\n\\"q\\""');
  });

  it('uses the OpenAI SDK against the gateway, key from the environment', () => {
    const s = pythonSnippet(req);
    expect(s).toContain('from openai import OpenAI');
    expect(s).toContain('client = OpenAI(\n    base_url="http://127.0.0.1:8800/v1",\n    api_key=os.environ["OPENAI_API_KEY"],\n)');
    expect(s).toContain('    model="gpt-4o",');
    expect(s).toContain('    stream=True,');
    expect(s).toContain('stream_options={\n        "include_usage": True,\n    },');
    expect(s).toContain('"url": "data:image/png;base64,AAAA"');
    expect(s).toContain('for chunk in stream:');
    expect(s).not.toContain('max_tokens');
    expect(pythonSnippet({ ...req, stream: false })).toContain('print(completion.choices[0].message.content)');
  });
});

describe('javascript', () => {
  it('writes object literals with bare keys where possible', () => {
    expect(jsLiteral({ model: 'x', 'odd-key': 1, list: [true] })).toBe('{\n  model: "x",\n  "odd-key": 1,\n  list: [\n    true,\n  ],\n}');
  });

  it('uses the OpenAI SDK and evaluates to the same body', () => {
    const s = jsSnippet(req);
    expect(s).toContain('import OpenAI from "openai";');
    expect(s).toContain('new OpenAI({\n  baseURL: "http://127.0.0.1:8800/v1",\n  apiKey: process.env.OPENAI_API_KEY,\n});');
    expect(s).toContain('for await (const chunk of stream)');
    const literal = s.slice(s.indexOf('create(') + 7, s.lastIndexOf(');\nfor await'));
    expect(new Function(`return (${literal});`)()).toEqual(requestBody(req));
  });
});
