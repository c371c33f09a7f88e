// Tiny hash router: #/path?query. `nav.path` and `nav.params` are reactive.

export interface RouteDef {
  path: string;
  label: string;
  group: string;
  icon: string;
}

export const GROUPS = ['Core', 'Configuration', 'Keys & Costs', 'System'] as const;

export const ROUTES: RouteDef[] = [
  { path: '/', label: 'Dashboard', group: 'Core', icon: 'dashboard' },
  { path: '/chat', label: 'Chat', group: 'Core', icon: 'chat' },
  { path: '/providers', label: 'Providers', group: 'Configuration', icon: 'providers' },
  { path: '/models', label: 'Models', group: 'Configuration', icon: 'models' },
  { path: '/routing', label: 'Routing', group: 'Configuration', icon: 'routing' },
  { path: '/keys', label: 'Virtual Keys', group: 'Keys & Costs', icon: 'keys' },
  { path: '/costs', label: 'Model Costs', group: 'Keys & Costs', icon: 'costs' },
  { path: '/usage', label: 'Usage', group: 'Keys & Costs', icon: 'usage' },
  { path: '/logs', label: 'Request Logs', group: 'Keys & Costs', icon: 'logs' },
  { path: '/notifications', label: 'Notifications', group: 'System', icon: 'bell' },
  { path: '/system', label: 'System', group: 'System', icon: 'system' },
  { path: '/audit', label: 'Audit Log', group: 'System', icon: 'audit' },
  { path: '/settings', label: 'Settings', group: 'System', icon: 'settings' },
];

/** Other paths of a page. */
const ALIASES: Record<string, string> = { '/dashboard': '/' };

function parse(hash: string): { path: string; params: URLSearchParams } {
  const h = hash.replace(/^#/, '') || '/';
  const i = h.indexOf('?');
  const path = (i < 0 ? h : h.slice(0, i)) || '/';
  const params = new URLSearchParams(i < 0 ? '' : h.slice(i + 1));
  return { path: path.startsWith('/') ? path : '/' + path, params };
}

class Nav {
  path = $state('/');
  params = $state(new URLSearchParams());
  /** Asked before the path changes (not the query); false keeps the current page. */
  beforeLeave: (() => Promise<boolean>) | null = null;
  /** The hash of the page shown. */
  private hash = '';

  constructor() {
    if (typeof window !== 'undefined') {
      this.sync();
      window.addEventListener('hashchange', () => void this.onHashChange());
    }
  }

  private async onHashChange() {
    const to = window.location.hash;
    if (this.beforeLeave && parse(to).path !== this.path) {
      // Stay on the page while asking; on yes, go where the link pointed.
      history.replaceState(null, '', this.hash || '#/');
      if (!(await this.beforeLeave())) return;
      history.pushState(null, '', to);
    }
    this.sync();
  }

  private sync() {
    const { path, params } = parse(window.location.hash);
    this.hash = window.location.hash;
    this.path = ALIASES[path] ?? path;
    this.params = params;
  }

  /** Navigates to path with optional query params (empty values dropped). */
  go(path: string, params: Record<string, string | undefined> = {}, replace = false) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    const qs = q.toString();
    const hash = '#' + path + (qs ? '?' + qs : '');
    if (replace) {
      history.replaceState(null, '', hash);
      this.sync();
    } else if (window.location.hash !== hash) {
      window.location.hash = hash;
    }
  }
}

export const nav = new Nav();

export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const qs = q.toString();
  return '#' + path + (qs ? '?' + qs : '');
}
