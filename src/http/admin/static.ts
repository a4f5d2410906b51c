import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sendErrors } from '../errors.js';

/** web/dist of the package, from src/http/admin (tsx) or dist/src/http/admin (compiled). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist');
    dir = resolve(dir, '..');
  }
  return resolve('web', 'dist');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>cr-server</title>
<p>The dashboard is not built. Run <code>npm run build:web</code> and restart the server.</p>`;

/**
 * The SPA under /admin/: hashed assets cached for a year, index.html never cached, and every
 * client route (/admin/login, /admin/groups/2 ...) answered with index.html. Registered inside
 * the /admin prefix, so its not-found handler only sees dashboard paths.
 */
export async function registerDashboard(app: FastifyInstance, webRoot: string): Promise<void> {
  const built = existsSync(join(webRoot, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      index: 'index.html',
      setHeaders: (res, path) => {
        res.setHeader('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const isApi = path.startsWith('/admin/api/') || path === '/admin/api';
    const isAsset = /\.[A-Za-z0-9]{1,8}$/.test(path);
    if (isApi || isAsset || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return sendErrors(reply, request, 404, [{ code: 'not_found', message: `No route ${request.method} ${path}` }]);
    }
    void reply.header('Cache-Control', 'no-cache');
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile('index.html');
  });
}
