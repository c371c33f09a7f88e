// Live tail of the request log: merges the newest page into what is shown.

export interface Row {
  id: string;
  time: string;
}

export interface TailMerge<T extends Row> {
  rows: T[];
  /** Ids that were not shown before. */
  added: string[];
  /** The newest page did not reach the rows shown: more arrived than one page holds. */
  gap: boolean;
}

/**
 * Puts the rows of `newest` (a newest-first page) that are not in `shown` on top. When none of
 * the page's rows are shown already and the page is full, rows in between are missing: the
 * page replaces what is shown (gap = true) and paging continues from its cursor.
 */
export function mergeNewest<T extends Row>(shown: T[], newest: T[], pageSize: number): TailMerge<T> {
  const have = new Set(shown.map((r) => r.id));
  const fresh = newest.filter((r) => !have.has(r.id));
  if (shown.length > 0 && fresh.length === newest.length && newest.length >= pageSize) {
    return { rows: newest, added: newest.map((r) => r.id), gap: true };
  }
  if (fresh.length === 0) return { rows: shown, added: [], gap: false };
  // A row logged late (a long stream) may belong below rows shown already: keep time order.
  const rows = [...fresh, ...shown].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  return { rows, added: fresh.map((r) => r.id), gap: false };
}
