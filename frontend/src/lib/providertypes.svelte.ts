// The server's provider types, fetched once and shared by every page that shows a type.

import { getProviderTypes } from './api';
import type { ProviderTypeInfo } from './types';
import { typeLabel } from './providertypes';

class ProviderTypes {
  list = $state<ProviderTypeInfo[]>([]);
  private loading: Promise<void> | null = null;

  /** Fetches the types unless they were fetched already; a failure is retried next time. */
  load(): Promise<void> {
    this.loading ??= getProviderTypes().then(
      (ts) => {
        this.list = ts;
      },
      () => {
        this.loading = null;
      },
    );
    return this.loading;
  }

  label(type: string): string {
    return typeLabel(this.list, type);
  }
}

export const providerTypes = new ProviderTypes();
