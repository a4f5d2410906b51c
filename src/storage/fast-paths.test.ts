import { Kysely, PostgresDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ALL_FAST_PATHS, createFastPaths } from './fast-paths.js';
import type { Database } from './schema.js';

// `rechecked` never touches the database handle; a dialect that is never connected will do.
const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: async () => Promise.reject(new Error('not used')) }) });

/** A load the test resolves by hand, counting its calls. */
function manualLoad() {
  const calls: { key: number; resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const load = (key: number) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ key, resolve, reject });
    });
  return { calls, load };
}

describe('rechecked reads', () => {
  it('share one read between callers that miss while it is on its way', async () => {
    const fast = createFastPaths(kysely, 'postgres', ALL_FAST_PATHS, null);
    const { calls, load } = manualLoad();
    const read = fast.rechecked(load, (k) => k);
    const waiting = [read(1), read(1), read(1), read(2)];
    expect(calls.map((c) => c.key)).toEqual([1, 2]);
    calls[0]!.resolve('one');
    calls[1]!.resolve('two');
    expect(await Promise.all(waiting)).toEqual(['one', 'one', 'one', 'two']);
    // Landed: served from the entry, no read.
    expect(await read(1)).toBe('one');
    expect(calls).toHaveLength(2);
  });

  it.each([
    { scope: 'a write', group: undefined },
    { scope: 'a change of its group', group: 1 },
  ])('does not hand a read started before $scope to a caller that came after it', async ({ group }) => {
    const fast = createFastPaths(kysely, 'postgres', ALL_FAST_PATHS, null);
    const { calls, load } = manualLoad();
    const read = fast.rechecked(load, (k) => k, undefined, (k) => k);
    const before = read(1);
    fast.markGroupsChanged(group);
    const after = read(1);
    expect(calls).toHaveLength(2);
    calls[0]!.resolve('old');
    calls[1]!.resolve('new');
    expect(await before).toBe('old');
    expect(await after).toBe('new');
    // The entry the older read left is of the older generation: the next call reads again or takes the newer one.
    expect(await read(1)).toBe('new');
  });

  it('fails every caller of a failed read, and the next call reads again', async () => {
    const fast = createFastPaths(kysely, 'postgres', ALL_FAST_PATHS, null);
    const { calls, load } = manualLoad();
    const read = fast.rechecked(load, (k) => k);
    const a = read(1);
    const b = read(1);
    calls[0]!.reject(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    await expect(b).rejects.toThrow('connection lost');
    const c = read(1);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('back');
    expect(await c).toBe('back');
  });

  it('marks one group stale without touching the others; unscoped, every group', async () => {
    const fast = createFastPaths(kysely, 'postgres', ALL_FAST_PATHS, null);
    const { calls, load } = manualLoad();
    const read = fast.rechecked(load, (k) => k, 60_000, (k) => k);
    const first = [read(1), read(2)];
    for (const c of calls) c.resolve(`v${c.key}`);
    expect(await Promise.all(first)).toEqual(['v1', 'v2']);
    fast.markGroupsChanged(1);
    const second = [read(1), read(2)];
    // Only group 1 is read again.
    expect(calls.map((c) => c.key)).toEqual([1, 2, 1]);
    calls[2]!.resolve('v1b');
    expect(await Promise.all(second)).toEqual(['v1b', 'v2']);
    fast.markGroupsChanged();
    const third = [read(1), read(2)];
    expect(calls.map((c) => c.key)).toEqual([1, 2, 1, 1, 2]);
    calls[3]!.resolve('v1c');
    calls[4]!.resolve('v2c');
    expect(await Promise.all(third)).toEqual(['v1c', 'v2c']);
  });

  it('peeks at an entry however old while nothing marked it changed, and never reads', async () => {
    const fast = createFastPaths(kysely, 'postgres', ALL_FAST_PATHS, null);
    const { calls, load } = manualLoad();
    const read = fast.rechecked(load, (k) => k, 1, (k) => k);
    expect(read.peek(3)).toBeUndefined();
    const first = read(3);
    calls[0]!.resolve('three');
    expect(await first).toBe('three');
    await new Promise((r) => setTimeout(r, 5));
    // Past its 1 ms recheck: a read goes to the database, a peek still has it.
    expect(read.peek(3)).toBe('three');
    fast.markGroupsChanged(4);
    expect(read.peek(3)).toBe('three');
    fast.markGroupsChanged(3);
    expect(read.peek(3)).toBeUndefined();
    expect(calls).toHaveLength(1);
    const off = createFastPaths(kysely, 'postgres', { ...ALL_FAST_PATHS, readCache: false }, null).rechecked(load, (k) => k);
    expect(off.peek(3)).toBeUndefined();
  });

  it('reads at every call with the read cache off', async () => {
    const fast = createFastPaths(kysely, 'postgres', { ...ALL_FAST_PATHS, readCache: false }, null);
    const { calls, load } = manualLoad();
    const read = fast.rechecked(load, (k) => k);
    void read(1);
    void read(1);
    expect(calls).toHaveLength(2);
    for (const c of calls) c.resolve('x');
  });
});
