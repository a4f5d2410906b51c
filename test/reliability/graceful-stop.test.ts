import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { freePort, startChild } from '../support/child.js';
import { basic, eventually } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'cr-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('graceful stop', () => {
  it('on SIGTERM finishes the device operation in flight, exits 0 and leaves nothing processing', { timeout: 120_000 }, async () => {
    const file = join(dir, 'cr-server.sqlite');
    const env = { CR_PROFILE: 'embedded', CR_DATA_DIR: dir, CR_ADMIN_PASSWORD: 'admin' };
    // First start creates the schema, the admin and the demo group; then make its register slow.
    const port = await freePort();
    let server = await startChild(env, port);
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const db = openDb({ dialect: 'sqlite', file });
    await migrate(db);
    const dev = await createDeviceRepository(db).deviceOf(1);
    await createDeviceRepository(db).updateDevice(dev?.id ?? 1, { config: { latency_ms: 400 } }, Date.now());
    await db.close();

    server = await startChild(env, port);
    const auth = basic('admin', 'admin');
    const res = await fetch(`${server.url}/service_groups/1/receipts/`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(ORIGINAL_EXAMPLE) });
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => {
      const r = (await (await fetch(`${server.url}/service_groups/1/receipts/${id}`, { headers: { authorization: auth } })).json()) as { state: string };
      return r.state === 'processing';
    }, 20_000, 10);
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const after = openDb({ dialect: 'sqlite', file });
    const row = await after.kysely.selectFrom('receipts').select(['state', 'fd_number']).where('id', '=', Number(id)).executeTakeFirstOrThrow();
    await after.close();
    expect(row.state).toBe('success');
    expect(row.fd_number).toBeGreaterThan(0);
  });
});
