// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) through Conduit: text, a stream, a tool call and
// an embedding. OPENAI_BASE_URL is Conduit's /v1, OPENAI_API_KEY a Conduit virtual key.
import { createOpenAI } from '@ai-sdk/openai';
import { embed, generateText, jsonSchema, streamText, tool } from 'ai';

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });
// .chat() speaks Chat Completions; openai(model) would speak the Responses API, which Conduit serves too.
const model = openai.chat(process.env.MODEL ?? 'gpt-4o-mini');

const { text } = await generateText({ model, prompt: 'Say hello in five words.' });
console.log('chat:', text);

const stream = streamText({ model, prompt: 'Count to five.' });
let streamed = '';
for await (const delta of stream.textStream) streamed += delta;
console.log('stream:', streamed);

const { toolCalls } = await generateText({
  model,
  prompt: 'Weather in Paris?',
  tools: {
    get_weather: tool({
      description: 'Current weather',
      inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    }),
  },
});
console.log('tool call:', toolCalls[0]?.toolName, JSON.stringify(toolCalls[0]?.input));

const { embedding } = await embed({ model: openai.embedding('text-embedding-3-small'), value: 'hello' });
console.log('embedding dimensions:', embedding.length);
