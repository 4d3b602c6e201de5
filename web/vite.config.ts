import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard builds to dist/web, which `nta serve` serves. No inline script or style may come out of
// the build (the server's Content-Security-Policy forbids them), hence no module-preload polyfill.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1000,
  },
});
