import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
