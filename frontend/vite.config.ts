/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One bundle serves the Wails window and the browser dashboard, so asset
// URLs are relative: it works at "/" on 127.0.0.1:2138 and inside the
// embedded asset server alike.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Nothing here is large enough to need splitting; one JS and one CSS
    // file keep the embedded asset list short.
    modulePreload: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` against a running app on the default port.
    proxy: { '/api': 'http://127.0.0.1:2138' },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
