// The getting-started checklist of a fresh server: provider → model → key → first chat.

export interface SetupStep {
  id: 'provider' | 'model' | 'key' | 'chat';
  title: string;
  text: string;
  /** Where the step is done. */
  path: string;
  /** The query that page reads: new opens its create form at once. */
  params: Record<string, string>;
  action: string;
  done: boolean;
}

export interface SetupFacts {
  providers: number;
  models: number;
  /** Virtual keys other than the playground's. */
  keys: number;
  /** Whether any request has been logged. */
  requests: boolean;
}

/** The query that opens a page's create form (openNewFromURL). */
const NEW = { new: '1' };

/** The steps with their state; the checklist hides once every one is done. */
export function setupSteps(f: SetupFacts): SetupStep[] {
  return [
    { id: 'provider', title: 'Add a provider', text: 'An upstream such as OpenAI, Anthropic or a local Ollama.', path: '/providers', params: NEW, action: 'Add provider', done: f.providers > 0 },
    { id: 'model', title: 'Add a model', text: 'Pick the provider’s models clients may ask for, and price them.', path: '/models', params: NEW, action: 'Add model', done: f.models > 0 },
    { id: 'key', title: 'Create a virtual key', text: 'What your clients send instead of the provider’s key.', path: '/keys', params: NEW, action: 'Create key', done: f.keys > 0 },
    { id: 'chat', title: 'Send a first chat', text: 'Try a model in the Chat playground.', path: '/chat', params: {}, action: 'Open Chat', done: f.requests },
  ];
}
