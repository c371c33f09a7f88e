// Anthropic's Messages API through Conduit (any model Conduit routes, not only Claude) with
// the official SDK. ANTHROPIC_BASE_URL is Conduit's address without /v1, ANTHROPIC_API_KEY a
// Conduit virtual key.
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic();
const model = process.env.MODEL ?? 'gpt-4o-mini';

const msg = await client.messages.create({
  model, max_tokens: 200, messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
console.log('message:', msg.content.filter((b) => b.type === 'text').map((b) => b.text).join(''));

const stream = client.messages.stream({
  model, max_tokens: 200, messages: [{ role: 'user', content: 'Count to five.' }],
});
let text = '';
stream.on('text', (t) => { text += t; });
await stream.finalMessage();
console.log('stream:', text);

const tool = await client.messages.create({
  model, max_tokens: 200,
  tools: [{
    name: 'get_weather', description: 'Current weather',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  }],
  messages: [{ role: 'user', content: 'Weather in Paris?' }],
});
const use = tool.content.find((b) => b.type === 'tool_use');
console.log('tool use:', use?.name, JSON.stringify(use?.input));
