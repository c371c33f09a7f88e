// Tiny hash router: #/path?query. `nav.path` and `nav.params` are reactive.

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

/**
 * Opens a page's create form when its URL asks for one (#/path?new=1, the Dashboard's
 * getting-started links), then drops the parameter so that a reload or Back does not reopen it.
 */
export function openNewFromURL(path: string, open: () => void) {
  if (!nav.params.has('new')) return;
  open();
  nav.go(path, {}, true);
}

export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const qs = q.toString();
  return '#' + path + (qs ? '?' + qs : '');
}
