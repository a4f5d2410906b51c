import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { hashPassword } from '../../src/services/passwords.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createUserRepository } from '../../src/storage/users.js';
import { eventually, type TestServer } from '../support/server.js';

export type Json = Record<string, unknown>;

const FIXTURES = new URL('../fixtures/atol-online/', import.meta.url);

/** A fixture of test/fixtures/atol-online/ (README there names each one's source), a fresh copy each time. */
export function fixture<T = Json>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as T;
}

/** Whether a value satisfies one of ATOL's published JSON schemas (TypeBox checks plain JSON Schema). */
export function satisfies(schemaFile: string, value: unknown): { ok: boolean; errors: string[] } {
  const schema = fixture<TSchema>(`schemas/${schemaFile}`);
  const ok = Value.Check(schema, value);
  return { ok, errors: ok ? [] : [...Value.Errors(schema, value)].map((e) => `${e.instancePath} ${e.message}`) };
}

/** The JSON type of a value as a shape comparison sees it. */
const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * The keys of ATOL's sample that our answer also has, with a different JSON type (null allowed
 * where the sample has a value, and the reverse, as ATOL's own answers do); `missing` the sample's
 * keys our answer lacks.
 */
export function shapeDiff(sample: Json, ours: Json, at = ''): { missing: string[]; mismatched: string[] } {
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const [k, v] of Object.entries(sample)) {
    const path = `${at}${k}`;
    if (!(k in ours)) {
      missing.push(path);
      continue;
    }
    const mine = ours[k];
    if (v === null || mine === null) continue;
    if (typeOf(v) !== typeOf(mine)) mismatched.push(`${path}: ${typeOf(v)} vs ${typeOf(mine)}`);
    else if (typeOf(v) === 'object') {
      const d = shapeDiff(v as Json, mine as Json, `${path}.`);
      missing.push(...d.missing);
      mismatched.push(...d.mismatched);
    }
  }
  return { missing, mismatched };
}

/** Asymmetric matchers typed as the strings they stand for (vitest types them `any`). */
export const matching = (re: RegExp): string => expect.stringMatching(re) as string;
export const containing = (text: string): string => expect.stringContaining(text) as string;

export const TIMESTAMP = /^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A user of the REST API (not a superuser) allowed on the listed groups. */
export async function apiUser(s: TestServer, login: string, password: string, groupIds: number[]): Promise<number> {
  const users = createUserRepository(s.db.kysely);
  const groups = createGroupRepository(s.db);
  const u = await users.create({ login, name: login, passwordHash: await hashPassword(password), isActive: true, isSuperuser: false }, Date.now());
  for (const g of groupIds) await groups.setAccess(g, [...(await groups.accessList(g)), u.id]);
  return u.id;
}

/** A running group on a virtual register with an ATOL Online group code; waits until its registration is known. */
export async function atolGroup(s: TestServer, groupCode: string, config: Json): Promise<number> {
  const groups = createGroupRepository(s.db);
  const { group } = await groups.create(
    { name: `АТОЛ ${groupCode}`, enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null, groupCode },
    { driver: 'emulator', config: { ofd_ack_delay_ms: 10, marking_operator_delay_ms: 0, ...config } },
    Date.now(),
  );
  await groups.setRunning(group.id, true, Date.now());
  await s.workers.reconcile();
  await eventually(async () => {
    const r = await s.app.inject({ url: `/service_groups/${group.id}`, headers: { authorization: s.admin } });
    return r.json<{ device: { registration: Json | null } | null }>().device?.registration ? true : null;
  }, 15_000);
  return group.id;
}
