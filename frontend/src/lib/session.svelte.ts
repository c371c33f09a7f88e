// Session state: 'checking' until GET /admin/system answers, then 'in' or 'out'.

import { getSystem, login as apiLogin, logout as apiLogout, onUnauthorized, ApiError } from './api';
import type { SystemInfo } from './types';

class Session {
  state = $state<'checking' | 'in' | 'out'>('checking');
  system = $state<SystemInfo | null>(null);
  /** Error reaching the server on the first check (not a 401). */
  error = $state<string | null>(null);
  /** Why the user was sent to the login page, if not by choice. */
  notice = $state<string | null>(null);

  constructor() {
    onUnauthorized(() => {
      if (this.state === 'in') this.notice = 'Your session has ended. Sign in again.';
      this.state = 'out';
    });
  }

  async check() {
    this.error = null;
    try {
      this.system = await getSystem({ sessionGuard: false });
      this.state = 'in';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.state = 'out';
      } else {
        this.error = e instanceof Error ? e.message : String(e);
        this.state = 'out';
      }
    }
  }

  async login(masterKey: string) {
    await apiLogin(masterKey);
    this.notice = null;
    await this.check();
  }

  async logout() {
    try {
      await apiLogout();
    } finally {
      this.state = 'out';
      this.system = null;
    }
  }
}

export const session = new Session();
