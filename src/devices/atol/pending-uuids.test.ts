import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import type * as PendingUuidsModule from './pending-uuids.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPendingUuids } from './pending-uuids.js';

describe('ATOL request uuid journal', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const journalFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-uuids-'));
    dirs.push(dir);
    return join(dir, 'sub', 'atol-uuids.json');
  };
  const onDisk = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { pending: Record<string, { uuid: string }> };

  it('has the uuid on disk before it hands it out, and a reopened journal gives the same one back', async () => {
    const file = journalFile();
    const a = createPendingUuids(file, () => 1_000);
    const uuid = await a.uuidFor('receipt-1');
    expect(onDisk(file).pending['receipt-1']?.uuid).toBe(uuid);
    expect(await a.uuidFor('receipt-1')).toBe(uuid);
    const b = createPendingUuids(file, () => 2_000);
    expect(await b.uuidFor('receipt-1')).toBe(uuid);
    await b.resolve('receipt-1');
    expect(onDisk(file).pending).toEqual({});
    // The outcome is known: the same receipt again is a new document with a new uuid.
    expect(await b.uuidFor('receipt-1')).not.toBe(uuid);
  });

  it('has the journal synced, file then directory, before it hands a uuid out or reports it resolved', async () => {
    // What reached the disk for sure, in order: file data written with flush, renames, directories
    // synced. The fast project shares modules between files (isolate: false), so a second instance
    // of the module is loaded here, under a query, to see the mock.
    const synced: string[] = [];
    vi.doMock('node:fs/promises', async (importOriginal) => {
      const fs = await importOriginal<typeof FsPromises>();
      return {
        ...fs,
        writeFile: async (path: string, data: string, options?: { flush?: boolean }) => {
          await fs.writeFile(path, data, options);
          if (options?.flush === true) synced.push(`file ${path}`);
        },
        rename: async (from: string, to: string) => {
          await fs.rename(from, to);
          synced.push(`rename ${to}`);
        },
        open: async (path: string, flags: string) => {
          const handle = await fs.open(path, flags);
          const sync = handle.sync.bind(handle);
          handle.sync = async () => {
            await sync();
            synced.push(`dir ${path}`);
          };
          return handle;
        },
      };
    });
    const instance = './pending-uuids.js?durability';
    const fresh = (await import(instance)) as typeof PendingUuidsModule;
    vi.doUnmock('node:fs/promises');
    const file = journalFile();
    const j = fresh.createPendingUuids(file, () => 1_000);
    await j.uuidFor('receipt-1');
    expect(synced).toEqual([`file ${file}.tmp`, `rename ${file}`, `dir ${join(file, '..')}`]);
    synced.length = 0;
    await j.resolve('receipt-1');
    expect(synced).toEqual([`file ${file}.tmp`, `rename ${file}`, `dir ${join(file, '..')}`]);
  });

  it('writes in call order: overlapping saves leave the newest journal on disk', async () => {
    const file = journalFile();
    const j = createPendingUuids(file, () => 1_000);
    const uuids = await Promise.all(['a', 'b', 'c', 'd'].map((k) => j.uuidFor(k)));
    await Promise.all([j.resolve('a'), j.resolve('c')]);
    const pending = onDisk(file).pending;
    expect(Object.keys(pending).sort()).toEqual(['b', 'd']);
    expect(pending.b?.uuid).toBe(uuids[1]);
    expect(new Set(uuids).size).toBe(4);
  });
});
