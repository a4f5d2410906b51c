import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeSqlite } from '../../src/sqlite-native.js';
import { openDb } from '../../src/storage/db.js';
import { ALL_FAST_PATHS } from '../../src/storage/fast-paths.js';
import { QueuedSqliteDialect, walSync } from '../../src/storage/sqlite-driver.js';

interface T {
  t: { id: number; v: string };
}

/** An fsync the test releases by hand, counting the calls. */
function heldFsync() {
  const pending: (() => void)[] = [];
  return {
    fsync(this: void): Promise<void> {
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    release(): void {
      for (const r of pending.splice(0)) r();
    },
    get waiting(): number {
      return pending.length;
    },
  };
}

const settled = async <X>(p: Promise<X>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('SQLite writes synced off the event loop (synchronous=NORMAL plus the WAL fsync)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function open() {
    const dir = mkdtempSync(join(tmpdir(), 'cr-wal-'));
    dirs.push(dir);
    const file = join(dir, 'db.sqlite');
    const native = new NativeSqlite(file);
    native.pragma('journal_mode = WAL');
    native.pragma('synchronous = NORMAL');
    native.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const f = heldFsync();
    let calls = 0;
    const wal = walSync(file, () => {
      calls += 1;
      return f.fsync();
    });
    const db = new Kysely<T>({ dialect: new QueuedSqliteDialect(native, wal) });
    return { db, f, calls: () => calls };
  }

  it('answers a write only once the WAL is synced, while the readers queued behind it go on', async () => {
    const { db, f, calls } = open();
    const write = db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    expect(await settled(write)).toBe(false);
    expect(f.waiting).toBe(1);
    // The connection was handed on before the fsync: a read runs (and sees the committed row).
    const rows = await db.selectFrom('t').selectAll().execute();
    expect(rows).toEqual([{ id: 1, v: 'a' }]);
    expect(calls()).toBe(1);
    f.release();
    await write;
    await db.destroy();
  });

  it('shares one fsync among the writes that arrive while one is in flight; reads cost none', async () => {
    const { db, f, calls } = open();
    const first = db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    await settled(first);
    const later = [2, 3, 4].map((id) => db.insertInto('t').values({ id, v: 'b' }).execute());
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 5, v: 'c' }).execute();
      await trx.updateTable('t').set({ v: 'd' }).where('id', '=', 1).execute();
    });
    expect(await settled(Promise.all([...later, tx]))).toBe(false);
    expect(calls()).toBe(1);
    f.release();
    await first;
    // The next fsync covers the three inserts and the transaction together.
    await settled(Promise.all(later));
    expect(calls()).toBe(2);
    expect(await settled(Promise.all([...later, tx]))).toBe(false);
    f.release();
    await Promise.all([...later, tx]);
    await db.selectFrom('t').selectAll().execute();
    await sql`SELECT count(*) FROM t`.execute(db);
    expect(calls()).toBe(2);
    await db.destroy();
  });

  it('opens a file database with synchronous=NORMAL behind the hand-over driver and FULL without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-wal-'));
    dirs.push(dir);
    const level = async (handover: boolean) => {
      const db = openDb({ dialect: 'sqlite', file: join(dir, `${String(handover)}.sqlite`) }, { ...ALL_FAST_PATHS, sqliteHandover: handover });
      const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db.kysely);
      // A write on the real thread-pool fsync returns (the WAL file exists once written).
      await sql`CREATE TABLE x (id INTEGER PRIMARY KEY)`.execute(db.kysely);
      await sql`INSERT INTO x (id) VALUES (1)`.execute(db.kysely);
      await db.close();
      return rows[0]?.synchronous;
    };
    expect(await level(true)).toBe(1);
    expect(await level(false)).toBe(2);
  });
});
