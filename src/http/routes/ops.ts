import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { Metrics } from '../../metrics.js';
import type { StorageHealth } from '../../storage/health.js';
import { LATEST_MIGRATION } from '../../storage/migrate.js';
import { sendErrors } from '../errors.js';

export interface OpsDeps {
  db: Db;
  metrics: Metrics;
  isStopping: () => boolean;
  /** The data directory check (embedded profile); absent: nothing on disk to check. */
  health?: StorageHealth;
  /** Bearer token GET /metrics requires; null: open. */
  metricsToken?: string | null;
  /** Longest wait for the database in /ready, ms: a hung connection must not hang the probe. */
  readyTimeoutMs?: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether `header` is `Bearer <token>`: compared as SHA-256 digests, in constant time whatever the input. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^bearer +(\S+) *$/i.exec(header ?? '');
  // Digest something even without a token, so a missing header takes the same path.
  return timingSafeEqual(digest(m?.[1] ?? ''), expected) && m !== null;
}

class Timeout extends Error {}
const within = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
};

/**
 * Liveness, readiness and metrics: for load balancers and Prometheus, without API credentials.
 * /ready answers a code only; the details of a failure go to the log (once per change, not on
 * every probe).
 */
export function opsRoutes(deps: OpsDeps): FastifyPluginAsync {
  const expected = deps.metricsToken ? digest(deps.metricsToken) : null;
  const readyTimeoutMs = deps.readyTimeoutMs ?? 3000;
  let lastNotReady: string | null = null;
  // One database probe at a time: while the database hangs, probes share it instead of piling up
  // connection attempts in the pool.
  let query: Promise<string | undefined> | null = null;
  const latestMigration = () => {
    query ??= sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1`
      .execute(deps.db.kysely)
      .then((r) => r.rows[0]?.name)
      .finally(() => {
        query = null;
      });
    return within(query, readyTimeoutMs);
  };

  const notReady = (request: FastifyRequest, reply: FastifyReply, code: string, err?: unknown) => {
    if (code !== lastNotReady) request.log.warn({ code, err }, 'not ready');
    lastNotReady = code;
    return reply.code(503).send({ status: 'not_ready', code });
  };

  return async (app) => {
    app.get('/health', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));

    app.get(
      '/ready',
      { schema: { summary: 'Ready to accept receipts: database reachable and migrated, data directory present and writable, disk not full', tags: ['operations'] } },
      async (request, reply) => {
        if (deps.isStopping()) return notReady(request, reply, 'stopping');
        if (deps.health) {
          const storage = await deps.health.check();
          if (!storage.ok) return notReady(request, reply, storage.code ?? 'storage_unavailable');
        }
        let latest: string | undefined;
        try {
          latest = await latestMigration();
        } catch (e) {
          return notReady(request, reply, 'database_unavailable', e);
        }
        if (latest !== LATEST_MIGRATION) return notReady(request, reply, 'migrations_pending');
        if (lastNotReady !== null) request.log.info({ previous: lastNotReady }, 'ready again');
        lastNotReady = null;
        return { status: 'ready', migration: latest };
      },
    );

    app.get(
      '/metrics',
      {
        schema: { summary: 'Prometheus metrics (Authorization: Bearer <CR_METRICS_TOKEN> when configured)', tags: ['operations'] },
        onRequest: async (request, reply) => {
          if (expected === null || bearerMatches(request.headers.authorization, expected)) return;
          reply.header('WWW-Authenticate', 'Bearer realm="cr-server metrics"');
          return sendErrors(reply, request, 401, [{ code: 'unauthenticated', message: 'GET /metrics requires Authorization: Bearer <token>' }]);
        },
      },
      async (_request, reply) => {
        const text = await deps.metrics.scrape();
        return reply.type(deps.metrics.contentType).send(text);
      },
    );
  };
}
