// Reactive "load older" paging over a newest-first list (audit log, request logs).

export interface Page<T> {
  data: T[];
  next: string;
}

export class Pager<T> {
  rows = $state<T[]>([]);
  /** The cursor of the next older page; empty when there is none. */
  next = $state('');
  loading = $state(false);
  loadingMore = $state(false);
  error = $state<Error | null>(null);
  private seq = 0;
  private fetch: (before: string | undefined) => Promise<Page<T>>;

  /** fetch reads one page, older than before (undefined: the newest). */
  constructor(fetch: (before: string | undefined) => Promise<Page<T>>, loading = false) {
    this.fetch = fetch;
    this.loading = loading;
  }

  /** Loading with nothing shown yet (the first load, or after the filters changed). */
  get initial(): boolean {
    return this.loading && this.rows.length === 0;
  }

  /** Counts loads; a result read under an older generation is stale. */
  get generation(): number {
    return this.seq;
  }

  /** Loads the newest page, or with more the page after the loaded ones. */
  async load(more = false): Promise<void> {
    const my = ++this.seq;
    if (more) this.loadingMore = true;
    else this.loading = true;
    this.error = null;
    try {
      const page = await this.fetch(more ? this.next : undefined);
      if (my !== this.seq) return;
      this.rows = more ? [...this.rows, ...page.data] : page.data;
      this.next = page.next;
    } catch (e) {
      if (my === this.seq) this.error = e instanceof Error ? e : new Error(String(e));
    } finally {
      if (my === this.seq) {
        this.loading = false;
        this.loadingMore = false;
      }
    }
  }
}
