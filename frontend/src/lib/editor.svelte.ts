// State and save flow shared by the create/edit drawers of the list pages.

import { serverErrors } from './forms';
import { hasErrors, type Errors } from './validate';
import { errText, toasts } from './toast.svelte';

/** The open/editing/errors/saving state of one create-or-edit form. */
export class Editor<T> {
  open = $state(false);
  editing = $state<T | null>(null);
  errors = $state<Errors>({});
  formError = $state<string | null>(null);
  saving = $state(false);
  private fields: string[];

  /** fields: the form's field names, so a server field error lands next to its field. */
  constructor(fields: string[]) {
    this.fields = fields;
  }

  /** Opens the form clean, editing item (null: creating). */
  show(item: T | null): void {
    this.editing = item;
    this.errors = {};
    this.formError = null;
    this.open = true;
  }

  close(): void {
    this.open = false;
  }

  /**
   * Shows errors; when there are none runs save and closes the form, or maps a failed save to
   * field and form errors. Resolves to whether it saved.
   */
  async submit(errors: Errors, save: () => Promise<void>): Promise<boolean> {
    this.formError = null;
    this.errors = errors;
    if (hasErrors(errors)) return false;
    this.saving = true;
    try {
      await save();
      this.open = false;
      return true;
    } catch (err) {
      const se = serverErrors(err, this.fields);
      this.errors = se.fields;
      this.formError = se.form;
      return false;
    } finally {
      this.saving = false;
    }
  }
}

/**
 * Runs a row action (toggle, delete); on success shows done (when given) and calls after,
 * on failure shows the error as a toast.
 */
export async function rowAction(run: () => Promise<unknown>, done: string | null, after: () => void): Promise<void> {
  try {
    await run();
    if (done) toasts.show(done);
    after();
  } catch (err) {
    toasts.show(errText(err), 'err');
  }
}
