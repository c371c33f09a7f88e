// The console's pages, grouped as the sidebar lists them: each page's path, label, icon and
// component. The router (lib/nav.svelte.ts) maps the URL to a path; App shows its page.

import type { Component } from 'svelte';
import Dashboard from './pages/Dashboard.svelte';
import Chat from './pages/Chat.svelte';
import Providers from './pages/Providers.svelte';
import Models from './pages/Models.svelte';
import Routing from './pages/Routing.svelte';
import Keys from './pages/Keys.svelte';
import Costs from './pages/Costs.svelte';
import Usage from './pages/Usage.svelte';
import Logs from './pages/Logs.svelte';
import Notifications from './pages/Notifications.svelte';
import System from './pages/System.svelte';
import Audit from './pages/Audit.svelte';
import Settings from './pages/Settings.svelte';

export interface Route {
  path: string;
  label: string;
  icon: string;
  page: Component;
}

export interface RouteGroup {
  label: string;
  routes: Route[];
}

const page = (path: string, label: string, icon: string, component: Component): Route => ({ path, label, icon, page: component });

export const GROUPS: RouteGroup[] = [
  { label: 'Core', routes: [page('/', 'Dashboard', 'dashboard', Dashboard), page('/chat', 'Chat', 'chat', Chat)] },
  {
    label: 'Configuration',
    routes: [page('/providers', 'Providers', 'providers', Providers), page('/models', 'Models', 'models', Models), page('/routing', 'Routing', 'routing', Routing)],
  },
  {
    label: 'Keys & Costs',
    routes: [page('/keys', 'Virtual Keys', 'keys', Keys), page('/costs', 'Model Costs', 'costs', Costs), page('/usage', 'Usage', 'usage', Usage), page('/logs', 'Request Logs', 'logs', Logs)],
  },
  {
    label: 'System',
    routes: [page('/notifications', 'Notifications', 'bell', Notifications), page('/system', 'System', 'system', System), page('/audit', 'Audit Log', 'audit', Audit), page('/settings', 'Settings', 'settings', Settings)],
  },
];

export const ROUTES: Route[] = GROUPS.flatMap((g) => g.routes);
