// Provider types as the server describes them (GET /admin/provider-types): the UI lists no
// type, label or default URL of its own, so a type the server adds shows up by itself.

import type { ProviderTypeInfo } from './types';

/** An option of the provider form's Type select. */
export interface TypeOption {
  value: string;
  label: string;
}

/** The Type select's options, in the server's order. */
export function typeOptions(types: readonly ProviderTypeInfo[]): TypeOption[] {
  return types.map((t) => ({ value: t.type, label: t.label || t.type }));
}

/** A type's label, or the type itself when the server did not describe it (yet). */
export function typeLabel(types: readonly ProviderTypeInfo[], type: string): string {
  return types.find((t) => t.type === type)?.label || type;
}

/** What the provider form asks for a type. */
export interface TypeForm {
  /** Placeholder of the Base URL field: the type's default, or an example when it has none. */
  placeholder: string;
  /** Base URL required: the type has no default. */
  needsUrl: boolean;
  /** API key required on create. */
  needsKey: boolean;
  /** The type takes an API version (shown and required), with this example. */
  apiVersion: boolean;
  apiVersionHint: string;
}

/** The form's needs for `type`; an unknown type asks for everything but an API version. */
export function typeForm(types: readonly ProviderTypeInfo[], type: string): TypeForm {
  const t = types.find((x) => x.type === type);
  if (!t) return { placeholder: '', needsUrl: false, needsKey: true, apiVersion: false, apiVersionHint: '' };
  return {
    placeholder: t.default_base_url || t.base_url_hint || '',
    needsUrl: t.requires_base_url,
    needsKey: !t.api_key_optional,
    apiVersion: t.api_version,
    apiVersionHint: t.default_api_version || '',
  };
}
