import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server, type ServerOptions } from '../../src/main.js';
import { createTempDatabase, type Backend } from './databases.js';

export interface TestServer extends Server {
  /** Basic auth header for admin/admin. */
  admin: string;
  /** The server's CR_DATA_DIR (the virtual registers' FN memory lives under it). */
  dataDir: string;
  cleanup(): Promise<void>;
}

export const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

/**
 * A full server (migrations, bootstrap, workers) on the given backend. SQLite uses a file in a temp
 * dir (embedded profile semantics with admin/admin and the demo group); PostgreSQL a fresh database.
 */
export async function testServer(backend: Backend, options: ServerOptions & { env?: Record<string, string> } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-test-'));
  let drop: (() => Promise<void>) | null = null;
  // The tests' requests come from 127.0.0.1, which plays the reverse proxy (X-Forwarded-Proto).
  const env: Record<string, string> = { CR_LOG_LEVEL: 'silent', CR_ADMIN_PASSWORD: 'admin', CR_DATA_DIR: dataDir, CR_PORT: '0', CR_TRUST_PROXY: '127.0.0.1', ...options.env };
  if (backend === 'postgres') {
    const tmp = await createTempDatabase();
    drop = () => tmp.drop();
    env.CR_PROFILE = 'postgres';
    env.DATABASE_URL = tmp.url;
  } else {
    env.CR_PROFILE ??= 'embedded';
  }
  const config = loadConfig([], env, { nodeId: 'test-node' });
  const server = await startServer(config, { listen: false, ...options });
  if (backend === 'postgres') {
    // The postgres profile creates no demo group; tests expect group 1 on the virtual register.
    const { createGroupRepository } = await import('../../src/storage/groups.js');
    const groups = createGroupRepository(server.db);
    if ((await groups.count()) === 0) {
      const { group } = await groups.create(
        { name: 'Демо-касса', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
        { driver: 'emulator', config: {} },
        Date.now(),
      );
      await groups.setRunning(group.id, true, Date.now());
      await server.workers.reconcile();
    }
  }
  return {
    ...server,
    admin: basic('admin', 'admin'),
    dataDir,
    async cleanup() {
      await server.close();
      if (drop) await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `fn` returns a truthy value (events are awaited where they exist; HTTP state is polled). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
