import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { basic, eventually } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'cr-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function boot(): Promise<Server> {
  const config = loadConfig([], { CR_PROFILE: 'embedded', CR_DATA_DIR: dir, CR_ADMIN_PASSWORD: 'admin', CR_LOG_LEVEL: 'silent' }, { nodeId: 'n' });
  return startServer(config, { listen: false });
}

async function registerAll(s: Server, n: number): Promise<{ id: string; fd: number; shift: number }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const res = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: basic('admin', 'admin') }, payload: ORIGINAL_EXAMPLE });
    expect(res.statusCode).toBe(200);
    const id = res.json<{ id: string }>().id;
    const r = await eventually(async () => {
      const j = (await s.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: basic('admin', 'admin') } })).json<{ state: string; receipt_num: number; shift_num: number }>();
      return j.state === 'success' ? j : null;
    });
    out.push({ id, fd: r.receipt_num, shift: r.shift_num });
  }
  return out;
}

describe('restart on the embedded profile', () => {
  it('keeps receipts and continues the device counters: no FD number is reused', async () => {
    const first = await boot();
    const before = await registerAll(first, 3);
    await first.close();

    const second = await boot();
    try {
      const old = await second.app.inject({ url: `/service_groups/1/receipts/${before[0]?.id}`, headers: { authorization: basic('admin', 'admin') } });
      expect(old.json()).toMatchObject({ state: 'success', receipt_num: before[0]?.fd });
      const after = await registerAll(second, 3);
      const fds = [...before, ...after].map((r) => r.fd);
      expect(new Set(fds).size).toBe(6);
      expect(fds).toEqual([...fds].sort((a, b) => a - b));
      expect(after[0]?.fd).toBeGreaterThan(before.at(-1)?.fd ?? Infinity);
      expect(Number(after[0]?.id)).toBeGreaterThan(Number(before.at(-1)?.id));
    } finally {
      await second.close();
    }
  });
});

describe('invalid configuration', () => {
  it('exits non-zero with a clear message before anything listens', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--port', 'eighty'], { encoding: 'utf8', env: { ...process.env, CR_DATA_DIR: dir }, timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('CR_PORT / --port: must be an integer');
    expect(r.stdout).not.toContain('listening');
  });
});
