import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { Metrics } from '../../metrics.js';
import { LATEST_MIGRATION } from '../../storage/migrate.js';

/** Liveness, readiness and metrics: unauthenticated, for load balancers and Prometheus. */
export function opsRoutes(deps: { db: Db; metrics: Metrics; isStopping: () => boolean }): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));

    app.get('/ready', { schema: { summary: 'Database reachable and migrations applied', tags: ['operations'] } }, async (_request, reply) => {
      if (deps.isStopping()) return reply.code(503).send({ status: 'stopping' });
      try {
        const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1`.execute(deps.db.kysely);
        const latest = rows.rows[0]?.name;
        if (latest !== LATEST_MIGRATION) return reply.code(503).send({ status: 'migrations_pending', migration: latest ?? null });
        return { status: 'ready', migration: latest };
      } catch (e) {
        return reply.code(503).send({ status: 'database_unreachable', error: e instanceof Error ? e.message : String(e) });
      }
    });

    app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    });
  };
}
