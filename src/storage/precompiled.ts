import type { Compilable, Kysely } from 'kysely';
import type { Database } from './schema.js';
import { sqliteDialects } from './sqlite-driver.js';

/**
 * A query built and compiled once, executed with new parameter values. On the hottest reads Kysely's
 * builder and compiler cost more CPU than SQLite spends running the query (the GET profile: 15 % of
 * the request in kysely). `build` receives one placeholder per argument (negative sentinels, never
 * real ids) and their positions in the compiled SQL are located, so argument order never depends on
 * how the compiler orders the parameters.
 */
export function precompile<A extends readonly number[], R>(
  db: Kysely<Database>,
  arity: A['length'],
  build: (...placeholders: number[]) => Compilable<R>,
): (...args: A) => Promise<R[]> {
  const sentinels = Array.from({ length: arity }, (_, i) => -987_654_321 - i);
  const compiled = build(...sentinels).compile();
  const positions = compiled.parameters.map((p) => {
    const at = sentinels.indexOf(p as number);
    if (at < 0) throw new Error(`precompile: a parameter of "${compiled.sql}" is a constant, not a placeholder`);
    return at;
  });
  const sqlite = sqliteDialects.get(db);
  return async (...args) => {
    const parameters = positions.map((i) => args[i]);
    const now = sqlite?.readIfIdle(compiled.sql, parameters);
    if (now) return now as R[];
    const { rows } = await db.executeQuery<R>({ ...compiled, parameters });
    return rows;
  };
}
