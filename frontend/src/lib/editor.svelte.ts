// State and save flow shared by the forms: the create/edit drawers of the list pages (Editor)
// and the settings-style pages that edit one object in place (PageForm).

import { serverErrors } from './forms';
import { guardUnsaved } from './unsaved.svelte';
import { hasErrors, type Errors } from './validate';
import { errText, toasts } from './toast.svelte';

/** The errors/saving state of one form and its save flow. */
export class FormState {
  errors = $state<Errors>({});
  formError = $state<string | null>(null);
  saving = $state(false);
  private fields: string[];

  /** fields: the form's field names, so a server field error lands next to its field. */
  constructor(fields: string[]) {
    this.fields = fields;
  }

  /**
   * Shows errors; when there are none runs save, or maps a failed save to field and form
   * errors. Resolves to whether it saved.
   */
  async submit(errors: Errors, save: () => Promise<void>): Promise<boolean> {
    this.formError = null;
    this.errors = errors;
    if (hasErrors(errors)) return false;
    this.saving = true;
    try {
      await save();
      this.saved();
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

  /** The form element's submit handler: checks with validate, then saves. */
  onsubmit(validate: () => Errors, save: () => Promise<void>): (e: SubmitEvent) => Promise<void> {
    return async (e) => {
      e.preventDefault();
      await this.submit(validate(), save);
    };
  }

  /** After a successful save. */
  protected saved(): void {}
}

/** The open/editing state of one create-or-edit drawer, on top of its FormState. */
export class Editor<T> extends FormState {
  open = $state(false);
  editing = $state<T | null>(null);

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

  /** onsubmit whose save is told the item edited (null: creating); a save closes the form. */
  onsave(validate: () => Errors, save: (editing: T | null) => Promise<void>): (e: SubmitEvent) => Promise<void> {
    return this.onsubmit(validate, () => save(this.editing));
  }

  protected override saved(): void {
    this.open = false;
  }
}

/**
 * A settings-style page's form: dirty from the first edit until it is saved or refilled, and
 * leaving the page while dirty asks first. Construct it in a component's script.
 */
export class PageForm extends FormState {
  dirty = $state(false);

  constructor(fields: string[]) {
    super(fields);
    guardUnsaved(() => this.dirty);
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
