import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The dev server proxies the API to a running Conduit (or the e2e mock server).
const target = process.env.CONDUIT_URL ?? 'http://127.0.0.1:18800';

export default defineConfig({
  plugins: [svelte()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/admin': { target, changeOrigin: false },
      '/v1': { target, changeOrigin: false },
      '/health': { target },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
