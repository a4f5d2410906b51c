import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { item, receipt } from '../../src/devices/fiscal-core/testing.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

const pgOk = await postgresReachable();

/**
 * A receipt document that no receipt owns — what a node that lost its lease could still leave in
 * the FN, or a sale punched on the register itself — is found by the worker's pass over the FN
 * journal and reported: a row the dashboard lists, an audit entry, a metric. Never silent; and the
 * documents that receipts own are never reported.
 */
describe.each(BACKENDS)('FN journal reconciliation on %s', (backend) => {
  let s: TestServer | null = null;
  afterEach(async () => {
    await s?.cleanup();
    s = null;
  });

  it.skipIf(backend === 'postgres' && !pgOk)('reports a receipt document that belongs to no receipt, once', { timeout: 60_000 }, async () => {
    s = await testServer(backend);
    const server = s;
    const post = async (n: number) => {
      const res = await server.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: server.admin }, payload: sellReceipt({ order_id: `o-${n}` }) });
      expect(res.statusCode).toBe(200);
      return res.json<{ id: string }>().id;
    };
    const success = (id: string) =>
      eventually(async () => {
        const r = await server.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: server.admin } });
        return r.json<{ state: string }>().state === 'success';
      }, 10_000);
    await success(await post(1));
    await success(await post(2));

    // Another writer on the same FN memory: a document cr-server did not make.
    const device = await server.db.kysely.selectFrom('devices').select(['id', 'config']).where('group_id', '=', 1).executeTakeFirstOrThrow();
    const outside = createEmulatorDriver(emulatorDefaults(), { deviceId: device.id, dataDir: s.dataDir, logger: pino({ level: 'silent' }), clock: systemClock });
    const stray = await outside.register(receipt({ items: [item({ name: 'Punched on the register', price: 12_345 })] }), { autoOpenShift: true });
    await outside.close();

    // The next forced status read (an X report job) shows more documents than the worker made.
    const x = await server.app.inject({ method: 'POST', url: '/service_groups/1/reports/x', headers: { authorization: server.admin, 'content-type': 'application/json' }, payload: '{}' });
    expect(x.statusCode).toBeLessThan(300);
    const rows = await eventually(async () => {
      const r = await server.db.kysely.selectFrom('orphan_documents').selectAll().execute();
      return r.length > 0 ? r : null;
    }, 15_000, 50);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ fd_number: stray.fdNumber, kind: 'receipt', total: 12_345, found_by: 'test-node', acknowledged_at: null });

    const audit = await server.db.kysely.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'device.orphan_document').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({ fd_number: stray.fdNumber, total: 12_345 });

    // Later receipts and passes add nothing: their documents are owned, the stray one is known.
    await success(await post(3));
    const x2 = await server.app.inject({ method: 'POST', url: '/service_groups/1/reports/x', headers: { authorization: server.admin, 'content-type': 'application/json' }, payload: '{}' });
    expect(x2.statusCode).toBeLessThan(300);
    await success(await post(4));
    expect(await server.db.kysely.selectFrom('orphan_documents').selectAll().execute()).toHaveLength(1);
    const metrics = await server.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/cr_orphan_documents\{service_group="1"\} 1/);
  });
});
