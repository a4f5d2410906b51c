import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { createStorageHealth, dataDirProblem, type HealthFs } from '../../src/storage/health.js';

const base = mkdtempSync(join(tmpdir(), 'cr-ops-health-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const logger = { error: () => undefined, info: () => undefined };
const errno = (code: string) => Object.assign(new Error(`${code}: synthetic`), { code });

/** A data directory with a database file, and a health check over it whose file-system calls can be swapped. */
function setup(fs: Partial<HealthFs> = {}, minFreeBytes = 0) {
  const dir = join(base, `d${n++}`);
  mkdirSync(dir);
  const file = join(dir, 'cr-server.sqlite');
  writeFileSync(file, '');
  let t = 0;
  let probes = 0;
  const counting: Partial<HealthFs> = {
    ...fs,
    statfs: async (p) => {
      probes++;
      return fs.statfs ? fs.statfs(p) : { bavail: 1_000_000, bsize: 4096 };
    },
  };
  const health = createStorageHealth({ dataDir: dir, dbFile: file, minFreeBytes, logger, fs: counting, now: () => t });
  return { dir, file, health, advance: (ms: number) => (t += ms), probes: () => probes };
}

describe('the storage check', () => {
  it('is ok for an intact, writable directory with space, and reports the free space', async () => {
    const { health } = setup();
    expect(await health.check()).toEqual({ ok: true, code: null, detail: null, freeBytes: 1_000_000 * 4096 });
  });

  it.each([
    ['a read-only mount (EROFS, reported to root as well)', 'EROFS', 'data_dir_not_writable'],
    ['no write permission (EACCES)', 'EACCES', 'data_dir_not_writable'],
    ['an I/O error', 'EIO', 'storage_unavailable'],
  ])('%s → %s', async (_name, code, expected) => {
    const { health } = setup({ access: async () => Promise.reject(errno(code)) });
    const s = await health.check();
    expect(s.ok).toBe(false);
    expect(s.code).toBe(expected);
  });

  it('free space below the minimum → disk_full', async () => {
    const { health } = setup({ statfs: async () => ({ bavail: 10, bsize: 4096 }) }, 100 * 1024 * 1024);
    expect(await health.check()).toMatchObject({ ok: false, code: 'disk_full', freeBytes: 40960 });
  });

  it('a missing directory, a missing file, a different file at the path', async () => {
    const a = setup();
    rmSync(a.dir, { recursive: true });
    expect((await a.health.check()).code).toBe('data_dir_missing');

    const b = setup();
    rmSync(b.file);
    expect((await b.health.check()).code).toBe('database_missing');

    const c = setup();
    const real = statSync(c.file, { bigint: true });
    const d = createStorageHealth({
      dataDir: c.dir,
      dbFile: c.file,
      minFreeBytes: 0,
      logger,
      fs: { stat: async (p) => (p === c.file ? { isDirectory: () => false, dev: real.dev, ino: real.ino + 1n } : statSync(p, { bigint: true })) },
    });
    expect((await d.check()).code).toBe('database_replaced');
  });

  it('probes at most once per second, once for concurrent callers; the accept path is synchronous while fresh', async () => {
    const { health, advance, probes } = setup();
    await Promise.all([health.check(), health.check(), health.check()]);
    expect(probes()).toBe(1);
    advance(500);
    expect(health.assertWritable()).toBeUndefined();
    await health.check();
    expect(probes()).toBe(1);
    advance(600);
    await health.check();
    expect(probes()).toBe(2);
    // Stale beyond the background timer's slack: the accept path refreshes before answering.
    advance(2500);
    const pending = health.assertWritable();
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(probes()).toBe(3);
  });

  it('refuses receipts with a 503 DomainError carrying the code and Retry-After once the probe saw the problem', async () => {
    const { health, dir, advance } = setup();
    await health.check();
    rmSync(dir, { recursive: true });
    // Within the second the cached "ok" stands: the documented window of the cache.
    expect(health.assertWritable()).toBeUndefined();
    advance(1100);
    expect((await health.check()).code).toBe('data_dir_missing');
    let thrown: unknown;
    try {
      // Fresh again, so synchronous: it throws rather than returning a promise.
      void health.assertWritable();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ kind: 'unavailable', retryAfter: 5, errors: [{ code: 'data_dir_missing' }] });
  });

  it('has nothing to check without a data directory (in-memory test profile, PostgreSQL)', async () => {
    const h = createStorageHealth({ dataDir: null, dbFile: null, minFreeBytes: Number.MAX_SAFE_INTEGER, logger });
    expect(h.assertWritable()).toBeUndefined();
    expect((await h.check()).ok).toBe(true);
  });
});

describe('starting on a data directory', () => {
  it('is fine when it does not exist, is empty, or holds its database', () => {
    expect(dataDirProblem(join(base, 'never-created'))).toBeNull();
    const empty = mkdtempSync(join(base, 'empty-'));
    expect(dataDirProblem(empty)).toBeNull();
    mkdirSync(join(empty, 'devices'));
    expect(dataDirProblem(empty)).toBeNull();
    const intact = mkdtempSync(join(base, 'intact-'));
    writeFileSync(join(intact, 'cr-server.sqlite'), '');
    mkdirSync(join(intact, 'devices'));
    writeFileSync(join(intact, 'devices', 'emulator-1.sqlite'), '');
    expect(dataDirProblem(intact)).toBeNull();
  });

  it('is refused when the database is gone but devices/ or a WAL file of it is still there', () => {
    const lost = mkdtempSync(join(base, 'lost-'));
    mkdirSync(join(lost, 'devices'));
    writeFileSync(join(lost, 'devices', 'emulator-1.sqlite'), '');
    expect(dataDirProblem(lost)).toMatch(/cr-server\.sqlite is missing.*devices\//);
    const wal = mkdtempSync(join(base, 'wal-'));
    writeFileSync(join(wal, 'cr-server.sqlite-wal'), '');
    expect(dataDirProblem(wal)).toMatch(/cr-server\.sqlite-wal/);
  });
});
