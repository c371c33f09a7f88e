// Helpers shared by the create/edit forms.

import { ApiError } from './api';
import type { Errors } from './validate';

/**
 * Maps a failed save to form errors: a server field error goes next to its field (when the
 * form has that field), anything else to the form-level message.
 */
export function serverErrors(e: unknown, knownFields: string[]): { fields: Errors; form: string | null } {
  if (e instanceof ApiError && e.field && knownFields.includes(e.field)) {
    return { fields: { [e.field]: e.message }, form: null };
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof ApiError && e.field) return { fields: {}, form: `${e.field}: ${msg}` };
  return { fields: {}, form: msg };
}

/**
 * A form's values for item: each of blank's fields taken from item, or blank's value where
 * item has none (null or undefined). Fields the form holds differently are set after.
 */
export function formValues<F extends object>(blank: F, item: { [K in keyof F]?: F[K] | null }): F {
  const from = item as Partial<Record<keyof F, unknown>>;
  return Object.fromEntries(Object.entries(blank).map(([k, v]) => [k, from[k as keyof F] ?? v])) as F;
}

/** Attributes wiring an input to its Field error/hint. */
export function describe(id: string, error: string | null | undefined): { 'aria-invalid': 'true' | undefined; 'aria-describedby': string } {
  return { 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': error ? `${id}-error` : `${id}-hint` };
}
