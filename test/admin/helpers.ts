import type { LightMyRequestResponse } from 'fastify';
import type { Server } from '../../src/main.js';
import { BACKENDS, postgresReachable, type Backend } from '../support/databases.js';
import { basic, eventually, testServer, type TestServer } from '../support/server.js';

/** The admin suites run on both backends; PostgreSQL is skipped only when unreachable outside CI. */
export const pgOk = await postgresReachable();
export const backends = BACKENDS.map((backend) => ({ backend, skip: backend === 'postgres' && !pgOk }));

/** A full server (migrations, bootstrap with admin/admin, workers) on the backend; `cleanup()` drops it. */
export async function startTestServer(backend: Backend): Promise<TestServer> {
  return testServer(backend);
}

export interface Admin {
  cookie: string;
  csrf: string;
  userId: number;
}

export const cookieOf = (res: LightMyRequestResponse): string => {
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return (first ?? '').split(';')[0] ?? '';
};

export async function login(server: Server, login = 'admin', password = 'admin'): Promise<Admin> {
  const res = await server.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ csrf_token: string; user: { id: number } }>();
  return { cookie: cookieOf(res), csrf: body.csrf_token, userId: body.user.id };
}

/** A test server on the backend with the superuser logged in to the dashboard. */
export async function startAdminServer(backend: Backend): Promise<{ server: TestServer; admin: Admin }> {
  const server = await startTestServer(backend);
  return { server, admin: await login(server) };
}

/** An admin API call with the session cookie and CSRF token. */
export function call(server: Server, a: Admin, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return server.app.inject({
    method,
    url,
    headers: { cookie: a.cookie, 'x-csrf-token': a.csrf },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
}

export { basic } from '../support/server.js';

/** The original's example receipt (one definition, in test/api/fixtures.ts). */
export { ORIGINAL_EXAMPLE as EXAMPLE_RECEIPT } from '../api/fixtures.js';

export const emulatorGroup = (name = 'Интернет-магазин') => ({
  name,
  driver: 'emulator',
  config: { company_name: 'ООО "Ромашка"', ofd_ack_delay_ms: 10 },
  default_tax_system: 1,
  default_vat: null,
  auto_open_shift: true,
  shift_duration: 1440,
  daily_close_time: null,
});

/** A REST API call as admin (Basic auth), as the shop's backend makes it. */
export function rest(server: Server, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return server.app.inject({ method, url, headers: { authorization: basic('admin', 'admin') }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
}

/**
 * A running group whose pool has `n` virtual registers (each with its own FN and `config` on top of
 * emulatorGroup's), returned once every register has been judged (its health is known).
 */
export async function startPool(server: Server, a: Admin, n: number, config: Record<string, unknown>): Promise<{ id: number; registers: number[] }> {
  const registerConfig = { ...emulatorGroup().config, ...config };
  const created = await call(server, a, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Пул'), config: registerConfig });
  if (created.statusCode !== 200) throw new Error(`group create: ${created.statusCode} ${created.body}`);
  const id = created.json<{ id: number }>().id;
  for (let i = 1; i < n; i += 1) {
    const res = await call(server, a, 'POST', `/admin/api/service_groups/${id}/registers`, { driver: 'emulator', config: registerConfig });
    if (res.statusCode !== 200) throw new Error(`register add: ${res.statusCode} ${res.body}`);
  }
  const started = await call(server, a, 'POST', `/admin/api/service_groups/${id}/start`);
  if (started.statusCode !== 200) throw new Error(`group start: ${started.statusCode} ${started.body}`);
  const view = await eventually(async () => {
    const v = (await rest(server, 'GET', `/service_groups/${id}`)).json<{ registers: { id: number; health: unknown }[] }>();
    return v.registers.every((r) => r.health !== null) ? v : null;
  }, 15_000);
  return { id, registers: view.registers.map((r) => r.id) };
}
