export interface Toast {
  id: number;
  kind: 'ok' | 'err' | 'info';
  text: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  show(text: string, kind: Toast['kind'] = 'ok', ms = 3500) {
    const id = this.next++;
    this.items.push({ id, kind, text });
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
