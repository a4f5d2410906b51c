import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createGroupRepository } from '../../src/storage/groups.js';
import { freePort } from '../support/child.js';
import { eventually, testServer } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from './fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `cr-server emulate <kind>` as a real process, as a user would run it. */
async function emulate(kind: 'shtrih' | 'atol', port: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `cr-emu-${kind}-`));
  dirs.push(dir);
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'emulate', kind, '--port', String(port), '--data-dir', dir], { cwd: root, stdio: 'ignore' });
  children.push(proc);
  await eventually(() => new Promise<boolean>((resolve) => {
    const sock = connect(port, '127.0.0.1', () => { sock.destroy(); resolve(true); });
    sock.on('error', () => resolve(false));
  }), 30_000, 100);
}

describe.each([
  ['shtrih', (port: number) => ({ host: '127.0.0.1', port })],
  ['atol', (port: number) => ({ url: `http://127.0.0.1:${port}`, device_model: 'ATOL 30F' })],
] as const)('the %s driver against `cr-server emulate`', (model, config) => {
  it('fiscalizes the original example end to end through the REST API', { timeout: 90_000 }, async () => {
    const port = await freePort();
    await emulate(model, port);
    const s = await testServer('sqlite');
    try {
      const groups = createGroupRepository(s.db);
      const { group } = await groups.create(
        { name: model, enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
        { driver: model, config: config(port) },
        Date.now(),
      );
      await groups.setRunning(group.id, true, Date.now());
      await s.workers.reconcile();
      const res = await s.app.inject({ method: 'POST', url: `/service_groups/${group.id}/receipts/`, headers: { authorization: s.admin }, payload: ORIGINAL_EXAMPLE });
      expect(res.statusCode).toBe(200);
      const id = res.json<{ id: string }>().id;
      const r = await eventually(async () => {
        const j = (await s.app.inject({ url: `/service_groups/${group.id}/receipts/${id}`, headers: { authorization: s.admin } })).json<Record<string, unknown>>();
        return j.state === 'success' || j.state === 'failed' ? j : null;
      }, 30_000);
      expect(r).toMatchObject({ state: 'success', payments_total: '200.00', commodities_total_cost: '200.00', shift_num: 1, receipt_in_shift_num: 1 });
      expect(r.fiscal_sign).toMatch(/^\d+$/);
      expect(r.fn_serial).toMatch(/^\d{16}$/);
      expect(r.registration_number).toMatch(/^\d{16}$/);
      const doc = await s.app.inject({ url: `/service_groups/${group.id}/documents/${r.receipt_num as number}`, headers: { authorization: s.admin } });
      expect(doc.json()).toHaveProperty('receipt');
    } finally {
      await s.cleanup();
    }
  });
});
