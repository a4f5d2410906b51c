import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

// The dashboard is served by cr-server at /admin/ (src/http/admin/static.ts); `npm run dev:web`
// proxies the admin API to a local server.
export default defineConfig({
  root,
  base: '/admin/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0 },
  server: { proxy: { '/admin/api': 'http://127.0.0.1:8080', '/service_groups': 'http://127.0.0.1:8080' } },
});
