// The Chat page's state for the browser session: the conversation, system prompt, model and
// parameters survive a visit to another page (the store outlives the page) and a reload
// (sessionStorage, this tab only). An answer still streaming when the page is left keeps
// streaming into the store.

export interface Turn {
  role: 'user' | 'assistant';
  text: string;
  images: string[];
  error?: string;
  /** false when sending the same request again cannot help (a spent budget, a refused model). */
  retryable?: boolean;
  streaming?: boolean;
  meta?: string;
  /** Assistant turns: the alias asked, the request id, tokens and cost. */
  alias?: string;
  requestId?: string;
  usage?: { prompt: number; completion: number };
  cost?: number;
  /** true once the cost comes from the request's log row (what the key was charged). */
  costExact?: boolean;
  /** The provider model that answered, when no price row matches it (charged $0). */
  unpriced?: string;
}

export interface ChatSnapshot {
  turns: Turn[];
  systemPrompt: string;
  model: string;
  temperature: string | number | null;
  maxTokens: string | number | null;
  input: string;
}

export const CHAT_STORAGE = 'conduit.chat.state';

export const EMPTY_CHAT: ChatSnapshot = { turns: [], systemPrompt: '', model: '', temperature: 0.7, maxTokens: null, input: '' };

/** The stored state, or the empty one when there is none or it does not parse. A turn that
 * was streaming when the tab was reloaded is marked as interrupted. */
export function restoreChat(raw: string | null): ChatSnapshot {
  if (!raw) return structuredClone(EMPTY_CHAT);
  try {
    const v = JSON.parse(raw) as Partial<ChatSnapshot>;
    const turns = Array.isArray(v.turns) ? v.turns.filter((t) => t && (t.role === 'user' || t.role === 'assistant')) : [];
    for (const t of turns) {
      t.images = Array.isArray(t.images) ? t.images : [];
      t.text = typeof t.text === 'string' ? t.text : '';
      if (t.streaming) {
        t.streaming = false;
        t.meta = [t.meta, 'interrupted by a reload'].filter(Boolean).join(' · ');
      }
    }
    return {
      turns,
      systemPrompt: typeof v.systemPrompt === 'string' ? v.systemPrompt : '',
      model: typeof v.model === 'string' ? v.model : '',
      temperature: v.temperature === undefined ? EMPTY_CHAT.temperature : v.temperature,
      maxTokens: v.maxTokens ?? null,
      input: typeof v.input === 'string' ? v.input : '',
    };
  } catch {
    return structuredClone(EMPTY_CHAT);
  }
}

/** Writes s; when it does not fit (images are large), writes it without the images. */
export function saveChat(storage: Pick<Storage, 'setItem'>, s: ChatSnapshot): void {
  try {
    storage.setItem(CHAT_STORAGE, JSON.stringify(s));
  } catch {
    const lean = { ...s, turns: s.turns.map((t) => ({ ...t, images: [], text: t.images.length ? `${t.text}\n[${t.images.length} image(s) not kept]`.trim() : t.text })) };
    try {
      storage.setItem(CHAT_STORAGE, JSON.stringify(lean));
    } catch {
      /* the state still lives for this page load */
    }
  }
}

class ChatState {
  turns = $state<Turn[]>([]);
  systemPrompt = $state('');
  model = $state('');
  // bind:value on number inputs yields numbers (null when empty).
  temperature = $state<string | number | null>(EMPTY_CHAT.temperature);
  maxTokens = $state<string | number | null>(null);
  /** The message being typed. */
  input = $state('');
  /** The running request's controller: the Stop button, also after leaving and coming back. */
  abort = $state<AbortController | null>(null);

  constructor() {
    if (typeof sessionStorage === 'undefined') return;
    Object.assign(this, restoreChat(sessionStorage.getItem(CHAT_STORAGE)));
    $effect.root(() => {
      $effect(() => saveChat(sessionStorage, this.snapshot()));
    });
  }

  snapshot(): ChatSnapshot {
    return $state.snapshot({
      turns: this.turns,
      systemPrompt: this.systemPrompt,
      model: this.model,
      temperature: this.temperature,
      maxTokens: this.maxTokens,
      input: this.input,
    }) as ChatSnapshot;
  }

  /** Ends the conversation (the system prompt, model and parameters stay). */
  clear() {
    this.abort?.abort();
    this.turns = [];
  }
}

export const chat = new ChatState();
