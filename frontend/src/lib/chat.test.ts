import { describe, expect, it } from 'vitest';
import { CHAT_STORAGE, EMPTY_CHAT, restoreChat, saveChat, type ChatSnapshot } from './chat.svelte';

const sample: ChatSnapshot = {
  turns: [
    { role: 'user', text: 'hi', images: ['data:image/png;base64,' + 'A'.repeat(2000)] },
    { role: 'assistant', text: 'hel', images: [], streaming: true, meta: 'fake' },
  ],
  systemPrompt: 'Be brief.',
  model: 'fake-model',
  temperature: 0.2,
  maxTokens: 64,
  input: 'draft',
};

class MemStorage {
  data = new Map<string, string>();
  limit = Infinity;
  setItem(k: string, v: string) {
    if (v.length > this.limit) throw new DOMException('full', 'QuotaExceededError');
    this.data.set(k, v);
  }
}

describe('chat state', () => {
  it('survives a save and restore; a stream cut by a reload is marked', () => {
    const st = new MemStorage();
    saveChat(st, sample);
    const back = restoreChat(st.data.get(CHAT_STORAGE) ?? null);
    expect(back.systemPrompt).toBe('Be brief.');
    expect(back.model).toBe('fake-model');
    expect(back.temperature).toBe(0.2);
    expect(back.maxTokens).toBe(64);
    expect(back.input).toBe('draft');
    expect(back.turns[0].images).toHaveLength(1);
    expect(back.turns[1]).toMatchObject({ text: 'hel', streaming: false, meta: 'fake · interrupted by a reload' });
  });

  it('starts empty from nothing or garbage', () => {
    expect(restoreChat(null)).toEqual(EMPTY_CHAT);
    expect(restoreChat('{not json')).toEqual(EMPTY_CHAT);
    expect(restoreChat('{"turns":[{"role":"system","text":"x"}],"temperature":null}')).toEqual({ ...EMPTY_CHAT, temperature: null });
  });

  it('drops images when the conversation does not fit', () => {
    const st = new MemStorage();
    st.limit = 1000;
    saveChat(st, sample);
    const back = restoreChat(st.data.get(CHAT_STORAGE) ?? null);
    expect(back.turns[0].images).toEqual([]);
    expect(back.turns[0].text).toBe('hi\n[1 image(s) not kept]');
  });
});
