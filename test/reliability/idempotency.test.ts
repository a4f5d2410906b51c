import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmulatorDriver } from '../../src/devices/emulator/index.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';

const pgOk = await postgresReachable();

describe.each(BACKENDS)('retries on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;
  beforeAll(async () => {
    if (!skip) s = await testServer(backend);
  });
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  it.skipIf(skip)('the same Idempotency-Key sent 20 times concurrently → one receipt, one fiscal document', async () => {
    const key = `retry-storm-${backend}`;
    const driver = s.workers.driverOf(1);
    if (!driver || !isEmulatorDriver(driver)) throw new Error('no virtual register');
    const docsBefore = (await driver.journal()).filter((d) => d.kind === 'receipt').length;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin, 'idempotency-key': key }, payload: ORIGINAL_EXAMPLE }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    const ids = new Set(answers.map((a) => a.json<{ id: string }>().id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const r = await eventually(async () => {
      const j = (await s.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: s.admin } })).json<{ state: string; receipt_num: number }>();
      return j.state === 'success' ? j : null;
    });
    const rows = await s.db.kysely.selectFrom('receipts').select('id').where('idempotency_key', '=', key).execute();
    expect(rows).toHaveLength(1);
    const docs = (await driver.journal()).filter((d) => d.kind === 'receipt');
    expect(docs.length - docsBefore).toBe(1);
    expect(docs.at(-1)?.fdNumber).toBe(r.receipt_num);
  });
});
