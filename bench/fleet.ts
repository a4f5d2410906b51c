/**
 * The fleet part of `npm run bench` (`--only=fleet`, `--skip-fleet`): what N virtual registers
 * (1,000; 200 with --quick) cost one node. See docs/benchmarks.md, "Fleet".
 *
 * Three servers per database, each a fresh child process (bench/server-child.ts, no groups of its
 * own) on a fresh database, on 127.0.0.1 only:
 *
 * 1. **baseline**: one group created and started through the dashboard API; once its register is
 *    open, its idle CPU and RSS (what the N-register numbers are compared with).
 * 2. **fleet**: N groups of one virtual register each (`latency_ms` 300 per device operation),
 *    created then started through the dashboard API (8 requests in flight); the wait until every
 *    register has been read by its worker (`status_at`); then an idle window: the child's CPU time
 *    (utime + stime of /proc/<pid>/stat), RSS, /health response time and, on PostgreSQL, the
 *    database's transactions (pg_stat_database) and its backends' CPU.
 * 3. **load**: 100 groups of N/100 registers (a pool each), receipts offered at a fixed rate
 *    (open loop, round-robin over the groups) for a fixed time; POST → success latency from each
 *    POST's send time to the receipt's `fiscalized_at`.
 *
 * Every phase is bounded by a deadline; a phase cut short is reported as such.
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PG_ADMIN_URL, RECEIPT_BODY, ADMIN_AUTH, percentile, sleep, spawnChild, table, type Child } from './lib.js';
import { renderSummary, summarise } from './profile.js';
import type { Store } from './store.js';

type DbKind = 'sqlite' | 'postgres';

/** What the part needs of bench/run.ts's environments. */
export interface FleetEnv {
  kind: DbKind;
  serverEnv: Record<string, string>;
  store(): Store;
}

export interface FleetDeps {
  withEnv: <T>(kind: DbKind, fn: (env: FleetEnv) => Promise<T>) => Promise<T>;
  log: (msg: string) => void;
}

export interface FleetOptions {
  /** Registers (1000; 200 quick). */
  n: number;
  quick: boolean;
  /** The phases to run (default all three). */
  phases?: readonly FleetPhase[];
  /** Record V8 CPU profiles of the server into this directory: 30 s idle after the idle window, and the load window. */
  profileDir?: string;
  /** Registers per group in the load phase (default n / 100: 100 pools). */
  poolSize?: number;
  /**
   * Registers on the wire in the load phase (default 100; 20 quick): the second register of that
   * many pools, alternately a Shtrih-M and an ATOL protocol emulator (bench/emulator-farm.ts), whose
   * FN takes the same 300 ms per receipt (not per protocol command).
   */
  tcp?: number;
  /** The fleet's idle window in seconds (30; 10 quick): a longer one shows where memory settles. */
  idleSeconds?: number;
}

export const FLEET_PHASES = ['baseline', 'idle', 'load', 'nodes'] as const;
export type FleetPhase = (typeof FLEET_PHASES)[number];

/** The virtual register of every fleet group: 300 ms per device operation, OFD acknowledgements after 10 ms. */
export const FLEET_DEVICE_CONFIG = { latency_ms: 300, ofd_ack_delay_ms: 10 } as const;
const CONCURRENCY = 8;

// ---------------------------------------------------------------------------------------------
// /proc sampling.

let ticksPerSecond = 0;
function clockTicks(): number {
  if (ticksPerSecond > 0) return ticksPerSecond;
  try {
    ticksPerSecond = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** utime + stime of a process (all its threads), seconds; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / clockTicks();
  } catch {
    return null;
  }
}

/**
 * Samples the state of the child's main thread (the event loop: tid = pid) every 10 ms from
 * /proc/<pid>/task/<pid>/stat: R running, D uninterruptible wait (an fsync, disk I/O), S sleeping
 * (waiting for work). stop() returns the share of samples in each, %.
 */
export function loopStateSampler(pid: number): { stop(): { running: number; disk: number; sleeping: number } } {
  const counts = { R: 0, D: 0, S: 0, other: 0 };
  const sample = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'R' || state === 'D' || state === 'S') counts[state]++;
      else counts.other++;
    } catch {
      // gone
    }
  };
  const timer = setInterval(sample, 10);
  return {
    stop() {
      clearInterval(timer);
      const total = counts.R + counts.D + counts.S + counts.other || 1;
      return { running: (100 * counts.R) / total, disk: (100 * counts.D) / total, sleeping: (100 * counts.S) / total };
    },
  };
}

export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

/** The child's own memory figures after two full collections (it runs with --expose-gc). */
async function memoryAfterGc(c: Child): Promise<Memory> {
  const m = await c.request({ type: 'memory', gc: true }, 'memory');
  return { rss: Number(m.rss), heapTotal: Number(m.heapTotal), heapUsed: Number(m.heapUsed), external: Number(m.external), arrayBuffers: Number(m.arrayBuffers), gc: m.gc === true };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: the database's transactions and its backends' CPU.

interface PgSample {
  at: number;
  xacts: number;
  /** pid → CPU seconds of the backends connected to the database. */
  backends: Map<number, number>;
}

async function pgSample(dbName: string): Promise<PgSample | null> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    const x = await c.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [dbName]);
    const p = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
    const backends = new Map<number, number>();
    for (const { pid } of p.rows) {
      const s = cpuSeconds(pid);
      if (s !== null) backends.set(pid, s);
    }
    return { at: Date.now(), xacts: Number(x.rows[0]?.n ?? 0), backends };
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Transactions per second and backend CPU (% of one core) between two samples. */
function pgDelta(a: PgSample | null, b: PgSample | null): { xactPerSec: number; backendCpuPct: number } | null {
  if (!a || !b) return null;
  const secs = (b.at - a.at) / 1000;
  let cpu = 0;
  for (const [pid, s] of b.backends) {
    const before = a.backends.get(pid);
    if (before !== undefined) cpu += s - before;
  }
  return { xactPerSec: (b.xacts - a.xacts) / secs, backendCpuPct: (100 * cpu) / secs };
}

type TableCounts = Map<string, { ins: number; upd: number; del: number; scans: number }>;

/** Rows written and scans started per table of the server's database (pg_stat_user_tables). */
async function pgTables(url: string): Promise<TableCounts | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    const r = await c.query<{ relname: string; ins: string; upd: string; del: string; scans: string }>(
      'SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans FROM pg_stat_user_tables',
    );
    return new Map(r.rows.map((x) => [x.relname, { ins: Number(x.ins), upd: Number(x.upd), del: Number(x.del), scans: Number(x.scans) }]));
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** "receipts 1.0 ins / 2.0 upd / 4.1 scans, …" per unit (e.g. per accepted receipt), busiest tables first. */
function tableDelta(a: TableCounts | null, b: TableCounts | null, per: number): string | null {
  if (!a || !b || per <= 0) return null;
  const rows = [...b].map(([name, x]) => {
    const y = a.get(name) ?? { ins: 0, upd: 0, del: 0, scans: 0 };
    return { name, ins: (x.ins - y.ins) / per, upd: (x.upd - y.upd) / per, del: (x.del - y.del) / per, scans: (x.scans - y.scans) / per };
  });
  const busy = rows.filter((r) => r.ins + r.upd + r.del + r.scans >= 0.05).sort((p, q) => q.ins + q.upd + q.del + q.scans - (p.ins + p.upd + p.del + p.scans));
  const n = (x: number) => x.toFixed(x >= 10 ? 0 : 1);
  return busy.slice(0, 8).map((r) => `${r.name} ${n(r.ins)} ins / ${n(r.upd)} upd${r.del > 0 ? ` / ${n(r.del)} del` : ''} / ${n(r.scans)} scans`).join('; ');
}

const dbNameOf = (env: FleetEnv): string | null =>
  env.kind === 'postgres' && env.serverEnv.DATABASE_URL ? new URL(env.serverEnv.DATABASE_URL).pathname.slice(1) : null;

// ---------------------------------------------------------------------------------------------
// HTTP: the dashboard API (session cookie + CSRF token) and the REST API (Basic).

interface Reply {
  status: number;
  body: unknown;
  ms: number;
  headers?: http.IncomingHttpHeaders;
}

/**
 * Separate connection pools, so no request waits in the client behind another kind: the dashboard
 * calls (8 in flight), the offered receipts (as many sockets as the in-flight cap: a POST's latency
 * is the server's), and the /health probe (its own connection).
 */
// The three stay within the server's default 256 connections per address (CR_MAX_CONNECTIONS_PER_IP).
const adminAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const LOAD_CAP = 200;
const loadAgent = new http.Agent({ keepAlive: true, maxSockets: LOAD_CAP });
const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(base: string, method: string, path: string, headers: Record<string, string>, body?: string, timeoutMs = 60_000, agent = adminAgent): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(`${base}${path}`, {
      method,
      agent,
      // A POST without a body says so (content-length 0), or Node would send it chunked.
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : method === 'GET' ? {} : { 'content-length': '0' }) },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - t0, headers: res.headers });
      });
      res.on('error', () => resolve({ status: 0, body: null, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: String(e), ms: performance.now() - t0 }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

interface AdminClient {
  call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Reply>;
}

async function adminLogin(base: string): Promise<AdminClient> {
  const res = await request(base, 'POST', '/admin/api/session', {}, JSON.stringify({ login: 'admin', password: 'admin' }));
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${JSON.stringify(res.body)}`);
  const raw = res.headers?.['set-cookie'] ?? [];
  const cookie = (Array.isArray(raw) ? raw : [raw]).map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith('cr_admin='));
  const csrf = (res.body as { csrf_token?: string }).csrf_token;
  if (!cookie || !csrf) throw new Error('admin login: no session cookie or CSRF token');
  return {
    call: (method, path, body) =>
      request(base, method, `/admin/api${path}`, { cookie, 'x-csrf-token': csrf }, body === undefined ? undefined : JSON.stringify(body)),
  };
}

/**
 * Removes the demo group the embedded (SQLite) profile creates on a first start (services/bootstrap.ts),
 * so both databases count only the bench's own registers.
 */
async function removeDemoGroups(admin: AdminClient): Promise<void> {
  const list = await admin.call('GET', '/service_groups');
  if (list.status !== 200 || !Array.isArray(list.body)) throw new Error(`group list: ${list.status}`);
  for (const g of list.body as GroupListItem[]) {
    await admin.call('POST', `/service_groups/${g.id}/stop`);
    const d = await admin.call('DELETE', `/service_groups/${g.id}`);
    if (d.status !== 200) throw new Error(`deleting the demo group ${g.id}: ${d.status} ${JSON.stringify(d.body)}`);
  }
}

/** Open file descriptors of a process (each virtual register keeps its FN's SQLite file open). */
function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

const groupBody = (name: string) => ({
  name,
  driver: 'emulator',
  config: { ...FLEET_DEVICE_CONFIG },
  default_tax_system: 1,
  default_vat: null,
  auto_open_shift: true,
  shift_duration: 1440,
  daily_close_time: null,
});

interface Timed {
  /** Index in issue order. */
  i: number;
  ms: number;
  ok: boolean;
  status: number;
  /** performance.now() when the request was sent and answered. */
  sentAt: number;
  doneAt: number;
}

/**
 * Runs fn(0…count−1) with `concurrency` in flight, in index order, until all are done or the
 * deadline (performance.now()) passes: requests not yet sent by then are not sent.
 */
async function inFlight(count: number, concurrency: number, deadline: number, fn: (i: number) => Promise<Reply>, progress?: (done: number) => void): Promise<Timed[]> {
  const out: Timed[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const sentAt = performance.now();
      const r = await fn(i);
      const doneAt = performance.now();
      out.push({ i, ms: doneAt - sentAt, ok: r.status >= 200 && r.status < 300, status: r.status, sentAt, doneAt });
      if (progress && out.length % 100 === 0) progress(out.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out.sort((a, b) => a.i - b.i);
}

interface GroupListItem {
  id: number;
  device?: { status_at?: string | null } | null;
  registers?: { status_at?: string | null }[];
}

/** Registers read by their worker at least once (status_at set) and all registers, from the dashboard list. */
function openedOf(list: GroupListItem[]): { opened: number; total: number } {
  let opened = 0;
  let total = 0;
  for (const g of list) {
    const regs = g.registers && g.registers.length > 0 ? g.registers : g.device ? [g.device] : [];
    total += regs.length;
    opened += regs.filter((r) => r.status_at !== null && r.status_at !== undefined).length;
  }
  return { opened, total };
}

/** Polls the dashboard's group list until every register has been opened (or the deadline). */
async function waitOpened(admin: AdminClient, expected: number, deadline: number, log: (m: string) => void, what: string): Promise<{ opened: number; at: number; listMs: number[] }> {
  const listMs: number[] = [];
  let opened = 0;
  let lastLog = 0;
  for (;;) {
    const r = await admin.call('GET', '/service_groups');
    listMs.push(r.ms);
    if (r.status === 200 && Array.isArray(r.body)) opened = openedOf(r.body as GroupListItem[]).opened;
    const now = performance.now();
    if (opened >= expected || now >= deadline) return { opened, at: now, listMs };
    if (now - lastLog > 10_000) {
      log(`${what}: ${opened}/${expected} registers opened (group list ${r.ms.toFixed(0)} ms)`);
      lastLog = now;
    }
    await sleep(expected > 300 ? 2000 : 1000);
  }
}

// ---------------------------------------------------------------------------------------------
// The idle window.

const idleSecondsOf = (o: FleetOptions) => o.idleSeconds ?? (o.quick ? 10 : 30);

type LoopState = ReturnType<ReturnType<typeof loopStateSampler>['stop']>;

interface Idle {
  /** PostgreSQL: rows written and scans per second, by table. */
  tablesPerSecond?: string;
  seconds: number;
  fds: number;
  loop: LoopState;
  cpuPct: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** RSS every 10 s of the window, MB: where memory settles after the start-up. */
  rssTrace: number[];
  healthP50: number;
  healthMax: number;
  pg: { xactPerSec: number; backendCpuPct: number } | null;
}

async function idleWindow(c: Child, env: FleetEnv, seconds: number): Promise<Idle> {
  const db = dbNameOf(env);
  const pgUrl = env.kind === 'postgres' ? env.serverEnv.DATABASE_URL : undefined;
  const tables0 = pgUrl ? await pgTables(pgUrl) : null;
  const pg0 = db ? await pgSample(db) : null;
  const t0 = performance.now();
  const cpu0 = cpuSeconds(c.pid) ?? 0;
  const loop = loopStateSampler(c.pid);
  let rssMax = rssMb(c.pid);
  const rssTrace = [rssMax];
  const health: number[] = [];
  const end = t0 + seconds * 1000;
  // A /health probe every 500 ms: how long the event loop takes to answer while the registers idle.
  while (performance.now() < end) {
    const r = await request(c.url, 'GET', '/health', {}, undefined, 10_000, probeAgent);
    if (r.status === 200) health.push(r.ms);
    const rss = rssMb(c.pid);
    rssMax = Math.max(rssMax, rss);
    if (performance.now() - t0 >= rssTrace.length * 10_000) rssTrace.push(rss);
    await sleep(Math.max(0, Math.min(500, end - performance.now())));
  }
  const cpu1 = cpuSeconds(c.pid) ?? cpu0;
  const loopState = loop.stop();
  const secs = (performance.now() - t0) / 1000;
  const rssEnd = rssMb(c.pid);
  const pg1 = db ? await pgSample(db) : null;
  const tables1 = pgUrl ? await pgTables(pgUrl) : null;
  const perSecond = tableDelta(tables0, tables1, secs);
  health.sort((a, b) => a - b);
  return {
    ...(perSecond !== null ? { tablesPerSecond: perSecond } : {}),
    seconds: secs,
    fds: fdCount(c.pid),
    loop: loopState,
    cpuPct: (100 * (cpu1 - cpu0)) / secs,
    rssEndMb: rssEnd,
    rssMaxMb: Math.max(rssMax, rssEnd),
    rssTrace: [...rssTrace, rssEnd],
    healthP50: percentile(health, 50),
    healthMax: health[health.length - 1] ?? 0,
    pg: pgDelta(pg0, pg1),
  };
}

// ---------------------------------------------------------------------------------------------
// The part.

export interface PhaseStats {
  count: number;
  ok: number;
  wallS: number;
  p50: number;
  p99: number;
  /** Mean latency and wall time of the first and last 100 (in issue order). */
  first100MeanMs: number;
  last100MeanMs: number;
  first100WallS: number;
  last100WallS: number;
  statuses: Record<string, number>;
}

function phaseStats(rows: Timed[], t0: number, t1: number): PhaseStats {
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  const mean = (xs: Timed[]) => (xs.length === 0 ? 0 : xs.reduce((s, r) => s + r.ms, 0) / xs.length);
  const wall = (xs: Timed[]) => (xs.length === 0 ? 0 : (Math.max(...xs.map((r) => r.doneAt)) - Math.min(...xs.map((r) => r.sentAt))) / 1000);
  const first = rows.slice(0, 100);
  const last = rows.slice(-100);
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  return {
    count: rows.length,
    ok: rows.filter((r) => r.ok).length,
    wallS: (t1 - t0) / 1000,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    first100MeanMs: mean(first),
    last100MeanMs: mean(last),
    first100WallS: wall(first),
    last100WallS: wall(last),
    statuses,
  };
}

export interface Baseline {
  idle: Idle;
  mem: Memory;
  openedAfterS: number;
}

export interface FleetRun {
  n: number;
  create: PhaseStats;
  start: PhaseStats;
  /** Registers opened, and seconds from the first start until the last was (or the deadline). */
  opened: number;
  openedAfterS: number;
  /** The dashboard's GET /admin/api/service_groups at N groups, the last poll. */
  listMs: number;
  idle: Idle;
  mem: Memory;
  /** 100 more groups created and started after the idle window (N registers running). */
  extra: { create: PhaseStats; start: PhaseStats };
  stopS: number;
}

export interface LoadRun {
  groups: number;
  registers: number;
  opened: number;
  setupS: number;
  rate: number;
  seconds: number;
  offered: number;
  /** Not sent: the client already had its cap of requests in flight. */
  skipped: number;
  accepted: number;
  postErrors: number;
  postStatuses: Record<string, number>;
  postP50: number;
  postP99: number;
  /** Receipts still pending/processing when the offering stopped. */
  backlogAtEnd: number;
  success: number;
  failed: number;
  unfinished: number;
  drainS: number;
  /** POST sent → fiscalized_at, ms (successes). */
  p50: number;
  p99: number;
  max: number;
  cpuPct: number;
  /** This process (the load generator) during the offering. */
  generatorCpuPct: number;
  rssMaxMb: number;
  healthP50: number;
  healthP99: number;
  loop: LoopState;
  pg: { xactPerSec: number; backendCpuPct: number } | null;
  /** The V8 CPU profile of the offering window (--fleet-profile). */
  profileFile?: string;
  /** PostgreSQL: rows written and scans per accepted receipt during the offering, by table. */
  tablesPerReceipt?: string;
  /** POST → success by the model of the register that fiscalized it (emulator, shtrih, atol). */
  byModel: Record<string, { registers: number; receipts: number; p50: number; p99: number }>;
}

/** Three nodes on one PostgreSQL database sharing the registers, then one of them killed. */
export interface NodesRun {
  registers: number;
  leaseTtlMs: number;
  callTimeoutMs: number;
  /** Every register leased by a live node, the three within ±10 % of a third: seconds after the last start (null: not within the deadline). */
  balancedAfterS: number | null;
  /** Leases per node when balanced (or at the deadline). */
  shares: number[];
  /** Registers the killed node held. */
  orphaned: number;
  /** SIGKILL → the last of them leased by a survivor, s. */
  releasedAfterS: number | null;
  /** SIGKILL → the last of them driven again (a status read by its new node written), s. */
  drivenAfterS: number | null;
  /** Leases per surviving node once all were driven again. */
  sharesAfter: number[];
}

export interface FleetResult {
  kind: DbKind;
  baseline: Baseline | null;
  fleet: FleetRun | null;
  load: LoadRun | null;
  nodes: NodesRun | null;
  notes: string[];
}

const fleetChild = (env: FleetEnv) => spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '0' }, ['--expose-gc']);

async function stopTimed(c: Child): Promise<number> {
  const t = performance.now();
  await c.stop(20_000);
  return (performance.now() - t) / 1000;
}

async function baseline(env: FleetEnv, o: FleetOptions, deps: FleetDeps): Promise<Baseline> {
  const c = await fleetChild(env);
  try {
    const admin = await adminLogin(c.url);
    await removeDemoGroups(admin);
    const g = await admin.call('POST', '/service_groups', groupBody('fleet-baseline'));
    const id = (g.body as { id?: number }).id;
    if (g.status !== 200 || id === undefined) throw new Error(`create group: ${g.status} ${JSON.stringify(g.body)}`);
    const t0 = performance.now();
    const s = await admin.call('POST', `/service_groups/${id}/start`);
    if (s.status !== 200) throw new Error(`start group: ${s.status} ${JSON.stringify(s.body)}`);
    const w = await waitOpened(admin, 1, performance.now() + 30_000, deps.log, `${env.kind} baseline`);
    await sleep(5000);
    const idle = await idleWindow(c, env, o.quick ? 10 : 15);
    const mem = await memoryAfterGc(c);
    deps.log(`${env.kind} baseline (1 register): idle CPU ${idle.cpuPct.toFixed(1)} %, RSS ${idle.rssEndMb.toFixed(0)} MB (after GC ${(mem.rss / 2 ** 20).toFixed(0)} MB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MB)`);
    return { idle, mem, openedAfterS: (w.at - t0) / 1000 };
  } finally {
    await c.stop(20_000);
  }
}

async function fleetRun(env: FleetEnv, o: FleetOptions, deps: FleetDeps): Promise<FleetRun> {
  const { n } = o;
  const c = await fleetChild(env);
  let stopped = false;
  try {
    const admin = await adminLogin(c.url);
    await removeDemoGroups(admin);
    // Phase deadlines (the part must stay within a few minutes even if a phase degrades).
    const phaseMs = o.quick ? 60_000 : 100_000;
    const ids: number[] = new Array<number>(n).fill(0);
    const t0 = performance.now();
    const created = await inFlight(n, CONCURRENCY, t0 + phaseMs, async (i) => {
      const r = await admin.call('POST', '/service_groups', groupBody(`fleet-${i + 1}`));
      ids[i] = (r.body as { id?: number } | null)?.id ?? 0;
      return r;
    }, (d) => d % 500 === 0 && deps.log(`${env.kind} fleet: ${d}/${n} groups created`));
    const t1 = performance.now();
    const create = phaseStats(created, t0, t1);
    deps.log(`${env.kind} fleet: ${create.ok}/${n} groups created in ${create.wallS.toFixed(1)} s (p50 ${create.p50.toFixed(0)} ms, p99 ${create.p99.toFixed(0)} ms)`);
    const made = ids.filter((id) => id > 0);
    const started = await inFlight(made.length, CONCURRENCY, t1 + phaseMs, (i) => admin.call('POST', `/service_groups/${made[i]}/start`),
      (d) => d % 200 === 0 && deps.log(`${env.kind} fleet: ${d}/${made.length} groups started`));
    const t2 = performance.now();
    const start = phaseStats(started, t1, t2);
    deps.log(`${env.kind} fleet: ${start.ok}/${made.length} started in ${start.wallS.toFixed(1)} s; mean start ${start.first100MeanMs.toFixed(0)} ms (first 100) → ${start.last100MeanMs.toFixed(0)} ms (last 100)`);
    const w = await waitOpened(admin, start.ok, t2 + (o.quick ? 60_000 : 100_000), deps.log, `${env.kind} fleet`);
    const openedAfterS = (w.at - t1) / 1000;
    deps.log(`${env.kind} fleet: ${w.opened}/${start.ok} registers opened ${openedAfterS.toFixed(1)} s after the first start (group list ${w.listMs[w.listMs.length - 1]?.toFixed(0)} ms)`);
    await sleep(5000);
    const idle = await idleWindow(c, env, idleSecondsOf(o));
    const mem = await memoryAfterGc(c);
    deps.log(`${env.kind} fleet idle (${w.opened} registers): CPU ${idle.cpuPct.toFixed(1)} % of a core, RSS ${idle.rssEndMb.toFixed(0)} MB (after GC ${(mem.rss / 2 ** 20).toFixed(0)} MB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} of ${(mem.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(mem.external / 2 ** 20).toFixed(0)} MB), /health p50 ${idle.healthP50.toFixed(1)} ms max ${idle.healthMax.toFixed(0)} ms${idle.pg ? `, ${idle.pg.xactPerSec.toFixed(0)} transactions/s, PostgreSQL backends ${idle.pg.backendCpuPct.toFixed(1)} %` : ''}; RSS every 10 s: ${idle.rssTrace.map((m) => m.toFixed(0)).join(' → ')} MB`);
    if (o.profileDir !== undefined) {
      // After the measured window (the profiler's own cost stays out of the idle CPU above).
      const file = join(o.profileDir, `fleet-idle-${env.kind}.cpuprofile`);
      await c.request({ type: 'profile-start' }, 'profile-started');
      await sleep(idleSecondsOf(o) * 1000);
      await c.request({ type: 'profile-stop', file }, 'profile-written');
      deps.log(`${env.kind} fleet idle: CPU profile of ${idleSecondsOf(o)} s idle in ${file}`);
    }
    // 100 more groups on the quiet server (N registers running and idle): does a start cost more
    // with N registers running, apart from the burst of registers still opening during the first N?
    const more: number[] = new Array<number>(100).fill(0);
    const t3 = performance.now();
    const createdMore = await inFlight(100, CONCURRENCY, t3 + 60_000, async (i) => {
      const r = await admin.call('POST', '/service_groups', groupBody(`fleet-more-${i + 1}`));
      more[i] = (r.body as { id?: number } | null)?.id ?? 0;
      return r;
    });
    const t4 = performance.now();
    const moreIds = more.filter((id) => id > 0);
    const startedMore = await inFlight(moreIds.length, CONCURRENCY, t4 + 60_000, (i) => admin.call('POST', `/service_groups/${moreIds[i]}/start`));
    const extra = { create: phaseStats(createdMore, t3, t4), start: phaseStats(startedMore, t4, performance.now()) };
    deps.log(`${env.kind} fleet: 100 more with ${w.opened} idle: create mean ${extra.create.first100MeanMs.toFixed(0)} ms, start mean ${extra.start.first100MeanMs.toFixed(0)} ms (wall ${extra.start.wallS.toFixed(1)} s)`);
    await sleep(2000);
    const stopS = await stopTimed(c);
    stopped = true;
    deps.log(`${env.kind} fleet: server stopped in ${stopS.toFixed(1)} s`);
    return { n, create, start, opened: w.opened, openedAfterS, listMs: w.listMs[w.listMs.length - 1] ?? 0, idle, mem, extra, stopS };
  } finally {
    if (!stopped) await c.stop(20_000);
  }
}

async function loadRun(env: FleetEnv, o: FleetOptions, deps: FleetDeps): Promise<LoadRun> {
  const perGroup = Math.max(1, Math.round(o.poolSize ?? o.n / 100));
  const GROUPS = Math.max(1, Math.round(o.n / perGroup));
  const rate = o.quick ? 100 : 300;
  const seconds = o.quick ? 15 : 60;
  const c = await fleetChild(env);
  const store = env.store();
  const tcpWanted = perGroup >= 2 ? Math.min(o.tcp ?? (o.quick ? 20 : 100), GROUPS) : 0;
  const farmDir = mkdtempSync(join(tmpdir(), 'cr-fleet-farm-'));
  const farm = tcpWanted > 0
    ? await spawnChild('emulator-farm', {
      FARM_SHTRIH: String(Math.ceil(tcpWanted / 2)),
      FARM_ATOL: String(Math.floor(tcpWanted / 2)),
      FARM_DIR: farmDir,
      FARM_LATENCY_MS: String(FLEET_DEVICE_CONFIG.latency_ms),
      FARM_OFD_ACK_DELAY_MS: String(FLEET_DEVICE_CONFIG.ofd_ack_delay_ms),
    })
    : null;
  try {
    const ports = farm ? ((await farm.request({ type: 'ports' }, 'ports')) as { shtrih?: number[]; atol?: string[] }) : {};
    // The second register of pool i (i < tcpWanted): Shtrih-M for even i, ATOL for odd i.
    const wire = (i: number): { driver: string; config: Record<string, unknown> } | null => {
      const port = i % 2 === 0 ? ports.shtrih?.[i / 2] : undefined;
      if (port !== undefined) return { driver: 'shtrih', config: { host: '127.0.0.1', port } };
      const url = i % 2 === 1 ? ports.atol?.[(i - 1) / 2] : undefined;
      return url === undefined ? null : { driver: 'atol', config: { url } };
    };
    const admin = await adminLogin(c.url);
    await removeDemoGroups(admin);
    const tSetup = performance.now();
    const deadline = tSetup + (o.quick ? 60_000 : 120_000);
    const ids: number[] = new Array<number>(GROUPS).fill(0);
    await inFlight(GROUPS, CONCURRENCY, deadline, async (i) => {
      const r = await admin.call('POST', '/service_groups', groupBody(`pool-${i + 1}`));
      ids[i] = (r.body as { id?: number } | null)?.id ?? 0;
      return r;
    });
    const groups = ids.filter((id) => id > 0);
    // Registers joining each pool before it starts (so each start brings up the whole pool); the
    // first one joining pool i < tcpWanted is a protocol emulator on the wire.
    const adds = groups.flatMap((g, gi) => Array.from({ length: perGroup - 1 }, (_, k) => ({ g, body: (k === 0 ? wire(gi) : null) ?? { driver: 'emulator', config: { ...FLEET_DEVICE_CONFIG } } })));
    const added = await inFlight(adds.length, CONCURRENCY, deadline, (i) => {
      const add = adds[i];
      return add ? admin.call('POST', `/service_groups/${add.g}/registers`, add.body) : Promise.resolve({ status: 0, ms: 0, body: null });
    });
    const startedRows = await inFlight(groups.length, CONCURRENCY, deadline, (i) => admin.call('POST', `/service_groups/${groups[i]}/start`));
    const registers = groups.length + added.filter((r) => r.ok).length;
    const w = await waitOpened(admin, registers, performance.now() + (o.quick ? 60_000 : 100_000), deps.log, `${env.kind} load setup`);
    const setupS = (performance.now() - tSetup) / 1000;
    deps.log(`${env.kind} load: ${groups.length} groups (${startedRows.filter((r) => r.ok).length} started), ${w.opened}/${registers} registers opened after ${setupS.toFixed(1)} s`);
    // The REST password check (scrypt) once, as on a server that has been up a while.
    await request(c.url, 'GET', '/service_groups/', { authorization: ADMIN_AUTH });
    await sleep(3000);

    // Open loop: `rate` POSTs per second, round-robin over the groups, at most LOAD_CAP in flight.
    const CAP = LOAD_CAP;
    const keyPrefix = randomBytes(4).toString('hex');
    const sentAt = new Map<number, number>();
    const postMs: number[] = [];
    const statuses: Record<string, number> = {};
    let offered = 0;
    let skipped = 0;
    let inflight = 0;
    let k = 0;
    const pending: Promise<void>[] = [];
    const db = dbNameOf(env);
    const pgUrl = env.kind === 'postgres' ? env.serverEnv.DATABASE_URL : undefined;
    const tables0 = pgUrl ? await pgTables(pgUrl) : null;
    const pg0 = db ? await pgSample(db) : null;
    const cpu0 = cpuSeconds(c.pid) ?? 0;
    const self0 = process.cpuUsage();
    const loop = loopStateSampler(c.pid);
    let rssMax = rssMb(c.pid);
    const profileFile = o.profileDir === undefined ? undefined : join(o.profileDir, `fleet-load-${env.kind}.cpuprofile`);
    if (profileFile !== undefined) await c.request({ type: 'profile-start' }, 'profile-started');
    const t0 = Date.now();
    const end = t0 + seconds * 1000;
    const send = () => {
      offered++;
      if (inflight >= CAP) {
        skipped++;
        return;
      }
      inflight++;
      const group = groups[k++ % groups.length] ?? 0;
      const at = Date.now();
      pending.push(
        request(c.url, 'POST', `/service_groups/${group}/receipts/`, { authorization: ADMIN_AUTH, 'idempotency-key': `fleet-${keyPrefix}-${offered}` }, RECEIPT_BODY, 20_000, loadAgent).then((r) => {
          inflight--;
          const key = r.status === 0 ? `0 ${String(r.body).slice(0, 60)}` : String(r.status);
          statuses[key] = (statuses[key] ?? 0) + 1;
          postMs.push(r.ms);
          const id = Number((r.body as { id?: unknown } | null)?.id);
          if (r.status >= 200 && r.status < 300 && Number.isFinite(id)) sentAt.set(id, at);
        }),
      );
    };
    let lastRss = 0;
    // /health every 500 ms (one at a time): the event loop's responsiveness under the load.
    const health: number[] = [];
    let probing = false;
    let lastProbe = 0;
    while (Date.now() < end) {
      const due = Math.floor((rate * (Date.now() - t0)) / 1000);
      while (offered < due) send();
      if (Date.now() - lastRss >= 250) {
        rssMax = Math.max(rssMax, rssMb(c.pid));
        lastRss = Date.now();
      }
      if (!probing && Date.now() - lastProbe >= 500) {
        probing = true;
        lastProbe = Date.now();
        void request(c.url, 'GET', '/health', {}, undefined, 20_000, probeAgent).then((r) => {
          if (r.status === 200) health.push(r.ms);
          probing = false;
        });
      }
      await sleep(5);
    }
    const tEnd = Date.now();
    const cpu1 = cpuSeconds(c.pid) ?? cpu0;
    const loopState = loop.stop();
    const pg1 = db ? await pgSample(db) : null;
    const tables1 = pgUrl ? await pgTables(pgUrl) : null;
    const cpuPct = (100 * (cpu1 - cpu0)) / ((tEnd - t0) / 1000);
    const self1 = process.cpuUsage(self0);
    const generatorCpuPct = (100 * (self1.user + self1.system)) / 1e6 / ((tEnd - t0) / 1000);
    await Promise.all(pending);
    if (profileFile !== undefined) {
      await c.request({ type: 'profile-stop', file: profileFile }, 'profile-written');
      deps.log(`${env.kind} load: CPU profile of the offering window in ${profileFile}`);
    }
    // The last probe may have answered after the loop: sort now.
    health.sort((a, b) => a - b);
    const backlogAtEnd = await store.unfinished(groups);
    deps.log(`${env.kind} load: ${offered} offered in ${seconds} s (${skipped} skipped at the client's cap), backlog ${backlogAtEnd} at the end; draining`);
    const drainDeadline = Date.now() + (o.quick ? 30_000 : 60_000);
    while ((await store.unfinished(groups)) > 0 && Date.now() < drainDeadline) await sleep(250);
    const drainS = (Date.now() - tEnd) / 1000;
    const rows = await store.outcomes(groups);
    const models = await store.drivers(groups);
    const lat: number[] = [];
    const latByModel = new Map<string, number[]>();
    let success = 0;
    let failed = 0;
    for (const r of rows) {
      if (r.state === 'success') {
        success++;
        const s = sentAt.get(r.id);
        if (s !== undefined && r.fiscalized_at !== null) {
          lat.push(r.fiscalized_at - s);
          const model = (r.device_id === null ? undefined : models.get(r.device_id)) ?? '?';
          const list = latByModel.get(model) ?? [];
          list.push(r.fiscalized_at - s);
          latByModel.set(model, list);
        }
      } else if (r.state === 'failed') failed++;
    }
    lat.sort((a, b) => a - b);
    const byModel: LoadRun['byModel'] = {};
    for (const [model, list] of latByModel) {
      list.sort((a, b) => a - b);
      byModel[model] = { registers: [...models.values()].filter((m) => m === model).length, receipts: list.length, p50: percentile(list, 50), p99: percentile(list, 99) };
    }
    postMs.sort((a, b) => a - b);
    const accepted = sentAt.size;
    const postErrors = offered - skipped - accepted;
    const out: LoadRun = {
      groups: groups.length,
      registers,
      opened: w.opened,
      setupS,
      rate,
      seconds,
      offered,
      skipped,
      accepted,
      postErrors,
      postStatuses: statuses,
      postP50: percentile(postMs, 50),
      postP99: percentile(postMs, 99),
      backlogAtEnd,
      success,
      failed,
      unfinished: rows.length - success - failed,
      drainS,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      max: lat[lat.length - 1] ?? 0,
      cpuPct,
      generatorCpuPct,
      rssMaxMb: rssMax,
      healthP50: percentile(health, 50),
      healthP99: percentile(health, 99),
      loop: loopState,
      pg: pgDelta(pg0, pg1),
      byModel,
      ...(profileFile !== undefined ? { profileFile } : {}),
    };
    const perReceipt = tableDelta(tables0, tables1, sentAt.size);
    if (perReceipt !== null) out.tablesPerReceipt = perReceipt;
    deps.log(`${env.kind} load: ${success}/${accepted} success, POST→success p50 ${out.p50} ms p99 ${out.p99} ms max ${out.max} ms; POST p50 ${out.postP50.toFixed(0)} p99 ${out.postP99.toFixed(0)} ms; /health p50 ${out.healthP50.toFixed(0)} p99 ${out.healthP99.toFixed(0)} ms; event loop R/D/S ${loopCell(loopState)} %; CPU ${cpuPct.toFixed(0)} %, max RSS ${rssMax.toFixed(0)} MB${out.pg ? `, ${out.pg.xactPerSec.toFixed(0)} transactions/s` : ''}`);
    const wireNote = Object.entries(byModel).filter(([m]) => m !== 'emulator').map(([m, b]) => `${m} ×${b.registers}: ${b.receipts} receipts, p50 ${b.p50} p99 ${b.p99} ms`).join('; ');
    if (wireNote) deps.log(`${env.kind} load: on the wire — ${wireNote}`);
    return out;
  } finally {
    await store.close();
    await c.stop(20_000);
    await farm?.stop(20_000);
    rmSync(farmDir, { recursive: true, force: true });
  }
}

/** Leases held per live owner, largest first (the database's clock decides what is live). */
async function leaseShares(client: pg.Client): Promise<Map<string, number>> {
  const r = await client.query<{ owner: string; n: string }>(
    `SELECT lease_owner AS owner, count(*) AS n FROM devices
     WHERE lease_owner IS NOT NULL AND lease_until > (floor(extract(epoch from clock_timestamp()) * 1000))::bigint GROUP BY lease_owner ORDER BY 2 DESC`);
  return new Map(r.rows.map((row) => [row.owner, Number(row.n)]));
}

/**
 * Three server processes on one PostgreSQL database (one data directory, as nodes sharing a volume
 * for the virtual FNs) and N registers started through the first: how long until the leases are
 * balanced within ±10 %, then one node killed with SIGKILL and how long until every register it
 * held is leased and driven (a fresh status read written) by the others. Lease 10 s, device calls
 * bounded at 3 s (a third of it), so "within the lease time plus 5 s" is 15 s.
 */
async function nodesRun(env: FleetEnv, o: FleetOptions, deps: FleetDeps): Promise<NodesRun> {
  const url = env.serverEnv.DATABASE_URL;
  if (env.kind !== 'postgres' || !url) throw new Error('the nodes phase needs PostgreSQL');
  const leaseTtlMs = 10_000;
  const callTimeoutMs = 3000;
  const nodeEnv = { ...env.serverEnv, BENCH_GROUPS: '0', CR_LEASE_TTL_MS: String(leaseTtlMs), CR_DEVICE_CALL_TIMEOUT_MS: String(callTimeoutMs) };
  const first = await spawnChild('server-child', nodeEnv, ['--expose-gc']);
  const nodes: Child[] = [first];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const admin = await adminLogin(first.url);
    await removeDemoGroups(admin);
    for (let i = 0; i < 2; i++) nodes.push(await spawnChild('server-child', nodeEnv, ['--expose-gc']));
    const n = o.n;
    const ids: number[] = new Array<number>(n).fill(0);
    const t0 = performance.now();
    await inFlight(n, CONCURRENCY, t0 + 120_000, async (i) => {
      const r = await admin.call('POST', '/service_groups', groupBody(`node-fleet-${i + 1}`));
      ids[i] = (r.body as { id?: number } | null)?.id ?? 0;
      return r;
    });
    const made = ids.filter((id) => id > 0);
    await inFlight(made.length, CONCURRENCY, performance.now() + 120_000, (i) => admin.call('POST', `/service_groups/${made[i]}/start`));
    const tStarted = performance.now();
    deps.log(`${env.kind} nodes: ${made.length} groups started through node 1 of 3`);
    // Balanced: every register leased by a live node, each node within ±10 % of a third.
    let shares: number[] = [];
    let balancedAfterS: number | null = null;
    const balanceDeadline = tStarted + 180_000;
    while (performance.now() < balanceDeadline) {
      shares = [...(await leaseShares(client)).values()];
      const held = shares.reduce((a, b) => a + b, 0);
      if (shares.length === 3 && held === made.length && shares.every((s) => Math.abs(s - made.length / 3) <= made.length / 30)) {
        balancedAfterS = (performance.now() - tStarted) / 1000;
        break;
      }
      await sleep(1000);
    }
    deps.log(`${env.kind} nodes: leases ${shares.join(' / ')}${balancedAfterS === null ? ' — not balanced within the deadline' : ` balanced ${balancedAfterS.toFixed(1)} s after the last start`}`);
    // Let every register open on its node before one is killed.
    await sleep(5000);
    const victim = nodes[2];
    if (!victim) throw new Error('no third node');
    const owner = `bench:${victim.pid}`;
    const theirs = (await client.query<{ id: number }>('SELECT id FROM devices WHERE lease_owner = $1', [owner])).rows.map((r) => Number(r.id));
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    deps.log(`${env.kind} nodes: node 3 (${theirs.length} registers) killed with SIGKILL`);
    let releasedAfterS: number | null = null;
    let drivenAfterS: number | null = null;
    const failDeadline = Date.now() + 90_000;
    while (Date.now() < failDeadline && drivenAfterS === null) {
      const r = await client.query<{ leased: string; driven: string }>(
        `SELECT count(*) FILTER (WHERE lease_owner IS NOT NULL AND lease_owner <> $2 AND lease_until > (floor(extract(epoch from clock_timestamp()) * 1000))::bigint) AS leased,
                count(*) FILTER (WHERE lease_owner <> $2 AND status_at > $3) AS driven
         FROM devices WHERE id = ANY($1::bigint[])`, [theirs, owner, killedAt]);
      const row = r.rows[0];
      const at = (Date.now() - killedAt) / 1000;
      if (releasedAfterS === null && Number(row?.leased) === theirs.length) releasedAfterS = at;
      if (Number(row?.driven) === theirs.length) drivenAfterS = at;
      else await sleep(250);
    }
    const sharesAfter = [...(await leaseShares(client)).values()];
    deps.log(`${env.kind} nodes: the killed node's registers leased again after ${releasedAfterS?.toFixed(1) ?? '—'} s, driven after ${drivenAfterS?.toFixed(1) ?? '—'} s (lease ${leaseTtlMs / 1000} s); leases now ${sharesAfter.join(' / ')}`);
    return { registers: made.length, leaseTtlMs, callTimeoutMs, balancedAfterS, shares, orphaned: theirs.length, releasedAfterS, drivenAfterS, sharesAfter };
  } finally {
    await client.end().catch(() => undefined);
    await Promise.all(nodes.map((c) => c.stop(20_000)));
  }
}

/** The fleet part on one database: baseline, N registers started and idle, then load over 100 pools. */
export async function fleet(kind: DbKind, o: FleetOptions, deps: FleetDeps): Promise<FleetResult> {
  const result: FleetResult = { kind, baseline: null, fleet: null, load: null, nodes: null, notes: [] };
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (e) {
      const msg = `${what} failed: ${e instanceof Error ? e.message : String(e)}`;
      deps.log(`${kind} fleet: ${msg}`);
      result.notes.push(msg);
      return null;
    }
  };
  const phases = o.phases ?? FLEET_PHASES;
  if (phases.includes('baseline')) result.baseline = await guard('baseline', () => deps.withEnv(kind, (env) => baseline(env, o, deps)));
  if (phases.includes('idle')) result.fleet = await guard('fleet', () => deps.withEnv(kind, (env) => fleetRun(env, o, deps)));
  if (phases.includes('load')) result.load = await guard('load', () => deps.withEnv(kind, (env) => loadRun(env, o, deps)));
  if (phases.includes('nodes') && kind === 'postgres') result.nodes = await guard('nodes', () => deps.withEnv(kind, (env) => nodesRun(env, o, deps)));
  return result;
}

// ---------------------------------------------------------------------------------------------
// The report.

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const mb = (bytes: number) => bytes / 2 ** 20;
const loopCell = (l: LoopState) => `${f0(l.running)} / ${f0(l.disk)} / ${f0(l.sleeping)}`;

export function renderFleet(results: FleetResult[], o: FleetOptions): string {
  const out: string[] = [];
  out.push(`## Fleet: ${o.n} virtual registers on one node`, '');
  out.push(
    `Virtual registers (\`emulator\`, \`latency_ms\` ${FLEET_DEVICE_CONFIG.latency_ms} per device operation, \`ofd_ack_delay_ms\` ${FLEET_DEVICE_CONFIG.ofd_ack_delay_ms}, auto-open shift; the protocol emulators' FNs ${FLEET_DEVICE_CONFIG.latency_ms} ms per receipt), ` +
      `groups created and started through the dashboard API with ${CONCURRENCY} requests in flight. Idle window ${idleSecondsOf(o)} s ` +
      `(baseline: one register, ${o.quick ? 10 : 15} s). RSS per register = (RSS at N − RSS with 1 register) / N. See docs/benchmarks.md, "Fleet".`,
    '',
  );
  const cols = results.map((r) => r.kind);
  const rows: string[][] = [];
  const add = (label: string, cell: (r: FleetResult) => string) => rows.push([label, ...results.map((r) => cell(r))]);
  const F = (fn: (f: FleetRun, r: FleetResult) => string) => (r: FleetResult) => (r.fleet ? fn(r.fleet, r) : '—');
  if (!results.some((r) => r.fleet)) rows.length = 0;
  add('groups created (ok / asked)', F((f) => `${f.create.ok} / ${f.n}`));
  add('create all, wall s (p50 / p99 ms per request)', F((f) => `${f1(f.create.wallS)} (${f0(f.create.p50)} / ${f0(f.create.p99)})`));
  add('start all, wall s (p50 / p99 ms per request)', F((f) => `${f1(f.start.wallS)} (${f0(f.start.p50)} / ${f0(f.start.p99)})`));
  add('start: first 100 → last 100, mean ms', F((f) => `${f0(f.start.first100MeanMs)} → ${f0(f.start.last100MeanMs)}`));
  add('start: first 100 → last 100, wall s', F((f) => `${f1(f.start.first100WallS)} → ${f1(f.start.last100WallS)}`));
  add('100 more after the idle window (N running): start mean ms, wall s', F((f) => `${f0(f.extra.start.first100MeanMs)}, ${f1(f.extra.start.wallS)}`));
  add('create: first 100 → last 100, mean ms', F((f) => `${f0(f.create.first100MeanMs)} → ${f0(f.create.last100MeanMs)}`));
  add('100 more after the idle window: create mean ms', F((f) => f0(f.extra.create.first100MeanMs)));
  add('registers opened / started', F((f) => `${f.opened} / ${f.start.ok}`));
  add('all opened, s after the first start', F((f) => f1(f.openedAfterS)));
  add('dashboard group list (GET /admin/api/service_groups), ms', F((f) => f0(f.listMs)));
  add('idle CPU, % of one core (baseline: 1 register)', F((f, r) => `${f1(f.idle.cpuPct)} (${r.baseline ? f1(r.baseline.idle.cpuPct) : '—'})`));
  add('idle CPU per register (over the baseline), ms per s', F((f, r) => (10 * (f.idle.cpuPct - (r.baseline?.idle.cpuPct ?? 0)) / f.opened).toFixed(3)));
  add('RSS at the end of the window, MB (baseline)', F((f, r) => `${f0(f.idle.rssEndMb)} (${r.baseline ? f0(r.baseline.idle.rssEndMb) : '—'})`));
  add('RSS per register, KB', F((f, r) => (r.baseline ? f0((1024 * (f.idle.rssEndMb - r.baseline.idle.rssEndMb)) / f.opened) : '—')));
  add('after a full GC: RSS MB / JS heap MB (baseline)', F((f, r) => `${f0(mb(f.mem.rss))} / ${f0(mb(f.mem.heapUsed))} (${r.baseline ? `${f0(mb(r.baseline.mem.rss))} / ${f0(mb(r.baseline.mem.heapUsed))}` : '—'})`));
  add('after a full GC: RSS / JS heap per register, KB', F((f, r) => (r.baseline ? `${f0((mb(f.mem.rss) - mb(r.baseline.mem.rss)) * 1024 / f.opened)} / ${f0((mb(f.mem.heapUsed) - mb(r.baseline.mem.heapUsed)) * 1024 / f.opened)}` : '—')));
  add('/health while idle, p50 / max ms', F((f) => `${f1(f.idle.healthP50)} / ${f0(f.idle.healthMax)}`));
  add('event-loop thread: running / disk wait / sleeping, % of samples', F((f) => loopCell(f.idle.loop)));
  add('open file descriptors (baseline)', F((f, r) => `${f.idle.fds} (${r.baseline ? r.baseline.idle.fds : '—'})`));
  add('database transactions/s while idle (baseline)', F((f, r) => (f.idle.pg ? `${f0(f.idle.pg.xactPerSec)} (${r.baseline?.idle.pg ? f0(r.baseline.idle.pg.xactPerSec) : '—'})` : 'not measured (SQLite)')));
  add('PostgreSQL backends CPU while idle, % of one core', F((f) => (f.idle.pg ? f1(f.idle.pg.backendCpuPct) : '—')));
  add('graceful stop, s', F((f) => f1(f.stopS)));
  if (results.some((r) => r.fleet)) {
    out.push(table(['fleet', ...cols], rows), '');
    for (const r of results) {
      if (r.fleet?.idle.tablesPerSecond !== undefined) out.push(`- ${r.kind}, per second while idle (pg_stat_user_tables): ${r.fleet.idle.tablesPerSecond}`);
    }
    if (results.some((r) => r.fleet?.idle.tablesPerSecond !== undefined)) out.push('');
  }

  if (results.some((r) => r.load)) {
    const lrows: string[][] = [];
    const L = (fn: (l: LoadRun) => string) => (r: FleetResult) => (r.load ? fn(r.load) : '—');
    const addL = (label: string, cell: (r: FleetResult) => string) => lrows.push([label, ...results.map((r) => cell(r))]);
    addL('pools × registers (opened)', L((l) => `${l.groups} × ${Math.round(l.registers / Math.max(1, l.groups))} (${l.opened}/${l.registers})`));
    addL('set-up (create, add registers, start, open), s', L((l) => f1(l.setupS)));
    addL('offered', L((l) => `${l.rate}/s for ${l.seconds} s = ${l.offered}${l.skipped > 0 ? ` (${l.skipped} not sent: ${LOAD_CAP} in flight)` : ''}`));
    addL('POST answered 2xx / errors', L((l) => `${l.accepted} / ${l.postErrors}${l.postErrors > 0 ? ` ${JSON.stringify(l.postStatuses)}` : ''}`));
    addL('POST HTTP p50 / p99 ms', L((l) => `${f0(l.postP50)} / ${f0(l.postP99)}`));
    addL('queue backlog when the offering stopped', L((l) => String(l.backlogAtEnd)));
    addL('success / failed / unfinished (drain s)', L((l) => `${l.success} / ${l.failed} / ${l.unfinished} (${f1(l.drainS)})`));
    addL('POST → success p50 / p99 / max ms', L((l) => `${l.p50} / ${l.p99} / ${l.max}`));
    for (const [model, label] of [['emulator', 'virtual register (in process)'], ['shtrih', 'Shtrih-M emulator over TCP'], ['atol', 'ATOL web-server emulator over HTTP']] as const) {
      if (!results.some((r) => r.load?.byModel[model])) continue;
      addL(`… on a ${label}: registers, receipts, p50 / p99 ms`, L((l) => {
        const b = l.byModel[model];
        return b ? `${b.registers}, ${b.receipts}, ${b.p50} / ${b.p99}` : '—';
      }));
    }
    addL('CPU during the offering, % of one core: server; load generator', L((l) => `${f0(l.cpuPct)}; ${f0(l.generatorCpuPct)}`));
    addL('max RSS, MB', L((l) => f0(l.rssMaxMb)));
    addL('/health during the offering, p50 / p99 ms', L((l) => `${f1(l.healthP50)} / ${f0(l.healthP99)}`));
    addL('event-loop thread: running / disk wait / sleeping, % of samples', L((l) => loopCell(l.loop)));
    addL('database transactions/s; PostgreSQL backends CPU %', L((l) => (l.pg ? `${f0(l.pg.xactPerSec)}; ${f0(l.pg.backendCpuPct)}` : 'not measured (SQLite)')));
    const pools = results.find((r) => r.load)?.load?.groups ?? 100;
    out.push(`### Load over ${o.n} registers in ${pools} ${o.poolSize === 1 ? 'groups of one register' : 'pools'}`, '', table(['load', ...cols], lrows), '');
    for (const r of results) {
      if (r.load?.tablesPerReceipt !== undefined) out.push(`- ${r.kind}, per accepted receipt during the offering (pg_stat_user_tables, idle work included): ${r.load.tablesPerReceipt}`);
    }
    if (results.some((r) => r.load?.tablesPerReceipt !== undefined)) out.push('');
    for (const r of results) {
      if (r.load?.profileFile === undefined) continue;
      out.push(`#### ${r.kind}: CPU profile of the server during the offering (profiler on; ${r.load.profileFile})`, '', '```', renderSummary(summarise(r.load.profileFile, 40), 25), '```', '');
    }
  }
  for (const r of results) {
    const nd = r.nodes;
    if (!nd) continue;
    const spread = (xs: number[]) => (xs.length === 0 ? '—' : `${xs.join(' / ')} (±${f1((100 * Math.max(...xs.map((x) => Math.abs(x - nd.registers / xs.length)))) / (nd.registers / xs.length))} %)`);
    out.push(
      `### Three nodes on one ${r.kind} database, ${nd.registers} registers (lease ${nd.leaseTtlMs / 1000} s, device calls ≤ ${nd.callTimeoutMs / 1000} s)`,
      '',
      table(['', r.kind], [
        ['leases per node, balanced after the last start', `${spread(nd.shares)}${nd.balancedAfterS === null ? ', not within 180 s' : ` after ${f1(nd.balancedAfterS)} s`}`],
        ['node 3 killed (SIGKILL), registers it held', String(nd.orphaned)],
        ['… all leased by the two others after', nd.releasedAfterS === null ? 'not within 90 s' : `${f1(nd.releasedAfterS)} s`],
        ['… all driven again (a status read by the new node written) after', nd.drivenAfterS === null ? 'not within 90 s' : `${f1(nd.drivenAfterS)} s (target: lease + 5 s = ${f0(nd.leaseTtlMs / 1000 + 5)} s)`],
        ['leases per surviving node then', spread(nd.sharesAfter)],
      ]),
      '',
    );
  }
  // A phase its deadline cut short says so.
  for (const r of results) {
    const f = r.fleet;
    if (f && f.create.ok < f.n) r.notes.push(`only ${f.create.ok} of ${f.n} groups created before the deadline (statuses ${JSON.stringify(f.create.statuses)})`);
    if (f && f.start.ok < f.create.ok) r.notes.push(`only ${f.start.ok} of ${f.create.ok} groups started before the deadline (statuses ${JSON.stringify(f.start.statuses)})`);
    if (f && f.opened < f.start.ok) r.notes.push(`only ${f.opened} of ${f.start.ok} registers opened before the deadline: the idle window ran with the others still opening`);
    const l = r.load;
    if (l && l.opened < l.registers) r.notes.push(`load: only ${l.opened} of ${l.registers} registers opened before the deadline`);
    if (l && l.unfinished > 0) r.notes.push(`load: ${l.unfinished} receipts still unfinished after the drain deadline`);
  }
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.kind}: ${n}`));
  if (notes.length > 0) out.push(...notes, '');
  return out.join('\n');
}
