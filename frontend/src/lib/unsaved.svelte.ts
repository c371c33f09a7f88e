// Unsaved-changes guard: a page with edits not yet saved registers a check; leaving the page
// (another page of the app) asks first, and closing or reloading the tab gets the browser's
// own "leave site?" prompt.

export const UNSAVED_TITLE = 'Leave without saving?';
export const UNSAVED_MESSAGE = 'This page has changes that are not saved. Leave and lose them?';

export class UnsavedGuard {
  private checks = new Set<() => boolean>();

  /** Registers isDirty; returns its removal. */
  add(isDirty: () => boolean): () => void {
    this.checks.add(isDirty);
    return () => this.checks.delete(isDirty);
  }

  /** Whether any registered page has unsaved changes. */
  get dirty(): boolean {
    for (const c of this.checks) if (c()) return true;
    return false;
  }

  /** Whether leaving may go on: nothing unsaved, or ask() said yes. */
  async allow(ask: (title: string, message: string) => Promise<boolean>): Promise<boolean> {
    return !this.dirty || (await ask(UNSAVED_TITLE, UNSAVED_MESSAGE));
  }

  /** A beforeunload listener: the browser asks before a tab with unsaved changes closes. */
  beforeUnload = (e: BeforeUnloadEvent): void => {
    if (!this.dirty) return;
    e.preventDefault();
    e.returnValue = ''; // older browsers need it set
  };
}

export const unsaved = new UnsavedGuard();

/** For a component's script: guards while isDirty() holds, until the component goes away. */
export function guardUnsaved(isDirty: () => boolean): void {
  $effect(() => unsaved.add(isDirty));
}
