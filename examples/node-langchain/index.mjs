// LangChain JS (`@langchain/openai`) through Conduit: a chat, a stream, a tool call and an
// embedding. OPENAI_BASE_URL is Conduit's /v1, OPENAI_API_KEY a Conduit virtual key.
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';

const configuration = { baseURL: process.env.OPENAI_BASE_URL };
const apiKey = process.env.OPENAI_API_KEY;
const llm = new ChatOpenAI({ model: process.env.MODEL ?? 'gpt-4o-mini', apiKey, configuration });

const answer = await llm.invoke('Say hello in five words.');
console.log('chat:', answer.content);

let streamed = '';
for await (const chunk of await llm.stream('Count to five.')) streamed += chunk.content;
console.log('stream:', streamed);

const withTools = llm.bindTools([{
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}]);
const call = await withTools.invoke('Weather in Paris?');
console.log('tool call:', call.tool_calls?.[0]?.name, JSON.stringify(call.tool_calls?.[0]?.args));

const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey, configuration });
console.log('embedding dimensions:', (await embeddings.embedQuery('hello')).length);
