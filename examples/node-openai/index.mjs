// Chat, streaming, tools, vision and embeddings through Conduit with the official OpenAI SDK.
// The SDK reads OPENAI_BASE_URL and OPENAI_API_KEY (the two lines `conduit keys create` prints).
import OpenAI from 'openai';

const client = new OpenAI();
const model = process.env.MODEL ?? 'gpt-4o-mini';

const chat = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
console.log('chat:', chat.choices[0].message.content);

const stream = await client.chat.completions.create({
  model, stream: true, messages: [{ role: 'user', content: 'Count to five.' }],
});
let text = '';
for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
console.log('stream:', text);

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];
const call = await client.chat.completions.create({
  model, tools, messages: [{ role: 'user', content: 'Weather in Paris?' }],
});
const tc = call.choices[0].message.tool_calls?.[0];
console.log('tool call:', tc?.function.name, tc?.function.arguments);

const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const vision = await client.chat.completions.create({
  model,
  messages: [{ role: 'user', content: [
    { type: 'text', text: 'What is in this image?' },
    { type: 'image_url', image_url: { url: png } },
  ] }],
});
console.log('vision:', vision.choices[0].message.content);

const emb = await client.embeddings.create({
  model: process.env.EMBED_MODEL ?? 'text-embedding-3-small', input: 'Conduit is a gateway.',
});
console.log('embedding dimensions:', emb.data[0].embedding.length);
