// Reactive async loader for list/detail pages: loading, error and data states.

import { ApiError } from './api';

export class Loader<T> {
  data = $state<T | undefined>(undefined);
  error = $state<ApiError | Error | null>(null);
  loading = $state(false);
  private seq = 0;
  private fn: () => Promise<T>;

  constructor(fn: () => Promise<T>) {
    this.fn = fn;
  }

  /** Loads; keeps the previous data visible while reloading. */
  async load(): Promise<void> {
    const seq = ++this.seq;
    this.loading = true;
    this.error = null;
    try {
      const d = await this.fn();
      if (seq === this.seq) this.data = d;
    } catch (e) {
      if (seq === this.seq) this.error = e instanceof Error ? e : new Error(String(e));
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  /** True while there is nothing to show yet. */
  get initial(): boolean {
    return this.loading && this.data === undefined;
  }
}
