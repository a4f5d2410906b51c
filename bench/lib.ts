import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import pg from 'pg';
import { ORIGINAL_EXAMPLE } from '../test/api/fixtures.js';
import { createTempDatabase } from '../test/support/databases.js';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const PG_ADMIN_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ADMIN_AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

export { ORIGINAL_EXAMPLE };
export const RECEIPT_BODY = JSON.stringify(ORIGINAL_EXAMPLE);

export interface Child {
  pid: number;
  url: string;
  groups: number[];
  /** Sends an IPC message and resolves with the child's answer of type `reply`. */
  request(message: Record<string, unknown>, reply: string): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

interface ReadyMessage {
  type: 'ready';
  url: string;
  groups: number[];
}
const isReady = (m: unknown): m is ReadyMessage => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready';

/**
 * Where the servers are compiled: bench/.build, or bench/.build/alt-<BENCH_BUILD> so that two runs
 * on one working tree do not recompile each other's servers mid-run (both git-ignored).
 */
const altBuild = process.env.BENCH_BUILD;
if (altBuild !== undefined && !/^[\w.-]+$/.test(altBuild)) throw new Error(`BENCH_BUILD: letters, digits, ".", "-", "_"; got "${altBuild}"`);
export const BUILD_DIR = altBuild === undefined ? `${ROOT}/bench/.build` : `${ROOT}/bench/.build/alt-${altBuild}`;

/** The bench's child-process entry points (bench/<name>.ts), compiled with src/. */
const CHILD_SCRIPTS = ['server-child', 'ceiling-server', 'emulator-farm'] as const;
export type ChildScript = (typeof CHILD_SCRIPTS)[number];

/**
 * Compiles src/ and the bench's child processes with tsc into BUILD_DIR (never the shared dist/), so
 * the servers run the same compiled JavaScript as `npm start` and CPU profiles carry real function
 * positions. Type errors elsewhere in the tree do not block the emit; a missing output does.
 */
export function buildServers(): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  const up = relative(BUILD_DIR, ROOT);
  writeFileSync(
    `${BUILD_DIR}/tsconfig.json`,
    JSON.stringify({
      extends: `${up}/tsconfig.build.json`,
      compilerOptions: { rootDir: up, outDir: '.', noEmit: false, sourceMap: false, declaration: false, incremental: false },
      include: [`${up}/src`, ...CHILD_SCRIPTS.map((name) => `${up}/bench/${name}.ts`).filter((f) => existsSync(join(BUILD_DIR, f)))],
      exclude: [`${up}/src/**/*.test.ts`, `${up}/node_modules`, `${up}/web`],
    }, null, 2),
  );
  const r = spawnSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', `${BUILD_DIR}/tsconfig.json`], { cwd: ROOT, encoding: 'utf8' });
  for (const f of ['bench/server-child.js', 'bench/ceiling-server.js', 'src/main.js']) {
    if (!existsSync(`${BUILD_DIR}/${f}`)) throw new Error(`build failed (${f} missing):\n${r.stdout}${r.stderr}`);
  }
  if (r.status !== 0) process.stderr.write(`[bench] tsc reported errors (emitted anyway):\n${r.stdout.split('\n').slice(0, 10).join('\n')}\n`);
}

/** Starts a compiled bench child (server-child, ceiling-server, emulator-farm) in its own process and waits for its IPC "ready". */
export function spawnChild(script: ChildScript, env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, `${BUILD_DIR}/bench/${script}.js`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise<Child>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited with code ${code} before it was ready`));
    proc.once('exit', onExit);
    proc.on('message', (m: unknown) => {
      if (!isReady(m)) return;
      proc.off('exit', onExit);
      resolve({
        pid: proc.pid ?? 0,
        url: m.url,
        groups: m.groups,
        request(message, reply) {
          return new Promise<Record<string, unknown>>((res) => {
            const on = (a: unknown) => {
              if (typeof a === 'object' && a !== null && (a as { type?: unknown }).type === reply) {
                proc.off('message', on);
                res(a as Record<string, unknown>);
              }
            };
            proc.on('message', on);
            proc.send(message);
          });
        },
        async stop(graceMs = 15_000) {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

/** Samples VmRSS of a process every 100 ms; stop() returns the maximum in MB. */
export function rssSampler(pid: number): { stop(): number } {
  let max = 0;
  const sample = () => {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m?.[1]) max = Math.max(max, Number(m[1]));
    } catch {
      // the process is gone
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return max / 1024;
    },
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  total: number;
  rssMb: number;
  statusCodes: Record<string, number>;
}

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  /** Seconds; or `amount` requests. */
  duration?: number;
  amount?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Per-request path (called once per request). */
  path: () => string;
  /** Send a unique Idempotency-Key with every request. */
  idempotencyKeys?: boolean;
  /** The server child whose RSS is sampled during the run. */
  pid: number;
}

let keySeq = 0;
const keyPrefix = randomBytes(4).toString('hex');

/** One bounded autocannon run against 127.0.0.1, with the server's RSS sampled during it. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const setupRequest: AutocannonRequest['setupRequest'] = (req) => {
    req.path = spec.path();
    if (spec.idempotencyKeys) req.headers['Idempotency-Key'] = `bench-${keyPrefix}-${++keySeq}`;
    return req;
  };
  const rss = rssSampler(spec.pid);
  const result: AutocannonResult = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration ?? 10 }),
    timeout: 20,
    method: spec.method,
    headers: { ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}), ...spec.headers },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    requests: [{ setupRequest }],
  });
  const rssMb = rss.stop();
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count]));
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
    rssMb,
    statusCodes,
  };
}

/** A fresh PostgreSQL database on the machine's server, dropped by the caller. */
export const createTempPgDatabase = () => createTempDatabase('cr_bench');

export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Renders a GitHub-flavoured markdown table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
