import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The better-sqlite3 build for the running Node.js, used by the server's database and by the
 * virtual registers' FN files.
 *
 * - Node 20: better-sqlite3 12.x (13.x crashes there), compiled from source on `npm ci`.
 * - Node 22 and later: 13.x (package alias `better-sqlite3-13`, N-API prebuilds, nothing to
 *   compile). 12.x is not safe there: on Node 24 the process aborts when V8 collects a statement
 *   (`Statement::~Statement` → `RemoveEnvironmentCleanupHook`, "Assertion failed: (env) != nullptr"),
 *   during normal operation as well as at exit — measured: the fast suite lost 22 worker processes.
 *
 * Both versions have the same API; the types are 12.x's (`@types/better-sqlite3`). Loaded with
 * require() because the choice depends on the running Node, which a static import cannot express.
 */
const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split('.')[0]);
const loaded: unknown = require(nodeMajor >= 22 ? 'better-sqlite3-13' : 'better-sqlite3');

export const NativeSqlite = loaded as typeof BetterSqlite3;
