import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, scryptSync } from 'node:crypto';
import { DomainError } from '../../src/domain/errors.js';
import { verifyPassword } from '../../src/services/passwords.js';
import { openDb, type Db } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import type { UserRepository, UserRecord } from '../../src/storage/users.js';
import { createTempDatabase, postgresReachable, BACKENDS, type Backend } from '../support/databases.js';

export const pgOk = await postgresReachable();
export const backends = BACKENDS.map((backend) => ({ backend, skip: backend === 'postgres' && !pgOk }));

/**
 * A valid scrypt hash in the production format with a cheap cost (N=1024, ~1 ms), so suites that
 * make hundreds of attempts test the logic, not the CPU. verifyPassword reads N from the hash.
 */
export function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The verdict of a verify() call: 'ok', or the error code ('invalid_credentials', 'too_many_failed_logins', …). */
export const outcome = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof DomainError ? (e.errors[0]?.code ?? e.kind) : String(e)),
  );

export const status = async (p: Promise<unknown>): Promise<number> =>
  p.then(
    () => 200,
    (e: unknown) => (e instanceof DomainError ? ({ unauthenticated: 401, rate_limited: 429 } as Record<string, number>)[e.kind] ?? 500 : 500),
  );

/**
 * A password hasher that counts its calls and the peak number running at once. With `cheapDummy`,
 * checks against a full-cost hash (the authenticator's dummy hash for unknown logins) answer false
 * at once, so suites making many failed attempts on unknown logins stay fast.
 */
export function countingHasher(opts: { delayMs?: number; cheapDummy?: boolean } = {}) {
  let calls = 0;
  let running = 0;
  let peak = 0;
  const passwords: string[] = [];
  const fn = async (password: string, stored: string): Promise<boolean> => {
    calls++;
    running++;
    peak = Math.max(peak, running);
    passwords.push(password);
    try {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.cheapDummy && stored.startsWith('scrypt$32768$')) return false;
      return await verifyPassword(password, stored);
    } finally {
      running--;
    }
  };
  return { fn, calls: () => calls, peak: () => peak, passwords };
}

/** An in-memory users repository (only what the authenticator reads). */
export function memoryUsers(rows: Omit<UserRecord, 'name' | 'created_at' | 'updated_at'>[]): { repo: UserRepository; rows: UserRecord[] } {
  const all: UserRecord[] = rows.map((r) => ({ name: '', created_at: 0, updated_at: 0, ...r }));
  const repo = {
    findByLogin: async (login: string) => {
      const r = all.find((u) => u.login === login);
      return r ? { ...r } : undefined;
    },
  } as unknown as UserRepository;
  return { repo, rows: all };
}

/**
 * Two database handles over one database, as two nodes have: a SQLite file opened twice, or one
 * PostgreSQL database with two pools. Migrated once.
 */
export async function twoNodes(backend: Backend): Promise<{ a: Db; b: Db; close(): Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cr-auth-'));
    const file = join(dir, 'db.sqlite');
    const a = openDb({ dialect: 'sqlite', file });
    await migrate(a);
    const b = openDb({ dialect: 'sqlite', file });
    return {
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const t = await createTempDatabase('cr_auth');
  const a = openDb({ dialect: 'postgres', url: t.url, poolSize: 4 });
  await migrate(a);
  const b = openDb({ dialect: 'postgres', url: t.url, poolSize: 4 });
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await t.drop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
