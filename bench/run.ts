/**
 * cr-server benchmarks side by side with the ceiling, the CSV export's rate and memory, and what a
 * fleet of registers costs one node (bench/fleet.ts). `npm run bench` (full, ~25 min) or
 * `npm run bench -- --quick` (~9 min). See docs/benchmarks.md.
 *
 * Flags: --quick, --db=sqlite|postgres (only one database), --skip-scaling, --skip-profile, --skip-fleet, --skip-export,
 *        --only=profile|scaling|throughput|fleet|export|e2e (e2e: the end-to-end runs alone, each between two bare INSERT runs), --e2e-registers=1,8,
 *        --profile=accept,draining,get,list,e2e (which profiles),
 *        --fleet=baseline,idle,load,nodes (which fleet phases; nodes: PostgreSQL only), --fleet-profile (CPU profiles of the fleet's idle and load windows),
 *        --fleet-tcp=K (registers on the wire in the load phase: Shtrih-M and ATOL emulators; default 100, 20 quick), --fleet-idle=S (the idle window, s),
 *        --fleet-pool=10 (registers per group in the fleet load phase; default 1/100 of the registers),
 *        --fast=-group-commit,-read-cache,-precompiled,-sqlite-handover | none (storage fast paths
 *        to switch off in the server under test; default all on)
 * env:   BENCH_BUILD=name compiles the servers into bench/.build/alt-name (two runs side by side);
 *        BENCH_HEAP_PROFILE=1 adds a sampling heap profile (every allocation, collected or not) to each
 *        --only=profile run: bench/results/profiles/<mode>-<db>.heapprofile, for Chrome DevTools
 *
 * Every server runs as a separate child process on 127.0.0.1 with a fresh database (temp SQLite
 * file / fresh PostgreSQL database); autocannon runs in this process. All load is bounded in time
 * (or in request count for end-to-end runs).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_AUTH, BUILD_DIR, buildServers, createTempPgDatabase, percentile, postgresReachable, RECEIPT_BODY, ROOT, rssSampler, runLoad, sleep, spawnChild, table, type Child, type LoadResult } from './lib.js';
import { FLEET_PHASES, fleet, renderFleet, type FleetPhase, type FleetResult } from './fleet.js';
import { renderSummary, summarise } from './profile.js';
import { postgresStore, sqliteStore, type Store } from './store.js';

type DbKind = 'sqlite' | 'postgres';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    db: { type: 'string' },
    only: { type: 'string' },
    'skip-scaling': { type: 'boolean', default: false },
    'skip-profile': { type: 'boolean', default: false },
    'skip-fleet': { type: 'boolean', default: false },
    'skip-export': { type: 'boolean', default: false },
    fleet: { type: 'string' },
    'fleet-profile': { type: 'boolean', default: false },
    'fleet-pool': { type: 'string' },
    'fleet-tcp': { type: 'string' },
    'fleet-idle': { type: 'string' },
    profile: { type: 'string' },
    fast: { type: 'string' },
    'e2e-registers': { type: 'string' },
  },
});
const QUICK = flags.quick === true;
const DURATION = QUICK ? 3 : 10;
const WARMUP = QUICK ? 1 : 2;
const CONNECTIONS = [10, 50] as const;
const E2E_RECEIPTS = QUICK ? 600 : 3000;
/** Connection counts of the end-to-end runs (the quick run posts with 10 only). */
const E2E_CONNECTIONS: readonly number[] = QUICK ? [10] : CONNECTIONS;
/** Registers of the end-to-end runs (`--e2e-registers=8` runs only the eight-register one). */
const E2E_REGISTERS: readonly number[] = (flags['e2e-registers'] ?? '1,8').split(',').map((n) => {
  const k = Number(n);
  if (!Number.isInteger(k) || k < 1 || k > 64) throw new Error(`--e2e-registers: integers 1…64; got "${n}"`);
  return k;
});
const SCALING_SIZES: [number, number] = QUICK ? [10_000, 100_000] : [10_000, 1_000_000];
/** Receipts in the group while the list is loaded: enough that every page of 100 is full. */
const LIST_MIN_STORED = 1000;
/** Stored receipts of the CSV export runs: two sizes, so a reader sees whether memory grows with N. */
const EXPORT_SIZES: [number, number] = QUICK ? [5_000, 20_000] : [20_000, 100_000];
/** Virtual registers of the fleet part (bench/fleet.ts). */
const FLEET_REGISTERS = QUICK ? 200 : 1000;
const RESULTS = join(ROOT, 'bench', 'results');
const PARTS = ['throughput', 'scaling', 'profile', 'fleet', 'export', 'e2e'] as const;
if (flags.only !== undefined && !(PARTS as readonly string[]).includes(flags.only)) throw new Error(`--only: one of ${PARTS.join(', ')}; got "${flags.only}"`);
const want = (part: (typeof PARTS)[number]) =>
  flags.only === undefined
    ? // The full run's end-to-end rows are part of throughput; `e2e` alone is for quick comparisons.
      part !== 'e2e' &&
      !(part === 'scaling' && flags['skip-scaling']) &&
      !(part === 'profile' && flags['skip-profile']) &&
      !(part === 'fleet' && flags['skip-fleet']) &&
      !(part === 'export' && flags['skip-export'])
    : flags.only === part;

/** The server's CR_FAST_* switch of each fast path (src/config.ts). */
const FAST_ENV = {
  'group-commit': 'CR_FAST_GROUP_COMMIT',
  'read-cache': 'CR_FAST_READ_CACHE',
  precompiled: 'CR_FAST_PRECOMPILED',
  'sqlite-handover': 'CR_FAST_SQLITE_HANDOVER',
} as const;

/** `--fast=-group-commit,-read-cache` (each named one off) or `--fast=none` (all off): the server children's environment. */
function fastPathEnv(spec: string | undefined): Record<string, string> {
  if (spec === undefined || spec === '' || spec === 'all') return {};
  if (spec === 'none') return Object.fromEntries(Object.values(FAST_ENV).map((env) => [env, 'off']));
  const out: Record<string, string> = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const name = part.replace(/^-/, '');
    const env = Object.entries(FAST_ENV).find(([k]) => k === name)?.[1];
    if (!part.startsWith('-') || env === undefined) throw new Error(`--fast: expected -name or none, names: ${Object.keys(FAST_ENV).join(', ')}; got "${part}"`);
    out[env] = 'off';
  }
  return out;
}
const FAST_OFF = fastPathEnv(flags.fast);

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Environments: a fresh database per server process.

interface Env {
  kind: DbKind;
  /** CR_* settings for the real server. */
  serverEnv: Record<string, string>;
  /** BENCH_* settings for the ceiling server. */
  ceilingEnv: Record<string, string>;
  store(): Store;
  cleanup(): Promise<void>;
}

async function freshEnv(kind: DbKind): Promise<Env> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-bench-'));
  const base = { CR_LOG_LEVEL: 'warn', CR_ADMIN_PASSWORD: 'admin', CR_DATA_DIR: dataDir, CR_PORT: '0', CR_HOST: '127.0.0.1', ...FAST_OFF };
  if (kind === 'sqlite') {
    const file = join(dataDir, 'cr-server.sqlite');
    return {
      kind,
      serverEnv: { ...base, CR_PROFILE: 'embedded' },
      ceilingEnv: { BENCH_DB: 'sqlite', BENCH_SQLITE_FILE: file },
      store: () => sqliteStore(file),
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const db = await createTempPgDatabase();
  return {
    kind,
    serverEnv: { ...base, CR_PROFILE: 'postgres', DATABASE_URL: db.url },
    ceilingEnv: { BENCH_DB: 'postgres', BENCH_PG_URL: db.url },
    store: () => postgresStore(db.url),
    cleanup: async () => {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withEnv<T>(kind: DbKind, fn: (env: Env) => Promise<T>): Promise<T> {
  const env = await freshEnv(kind);
  try {
    return await fn(env);
  } finally {
    await env.cleanup();
  }
}

async function withChild<T>(child: Promise<Child>, fn: (c: Child) => Promise<T>, graceMs?: number): Promise<T> {
  const c = await child;
  try {
    return await fn(c);
  } finally {
    // autocannon drops its sockets at the deadline: let the requests still in the server finish first.
    await sleep(500);
    await c.stop(graceMs);
  }
}

const rnd = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface PageShape {
  items: number;
  bytes: number;
  /** The first item's field names, comma-separated. */
  keys: string;
}

/** One list page as a client gets it: its size and the fields of its items (the list and its ceiling compared). */
async function pageShape(url: string, headers: Record<string, string>): Promise<PageShape> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { items: Record<string, unknown>[] };
  return { items: body.items.length, bytes: Buffer.byteLength(text), keys: Object.keys(body.items[0] ?? {}).join(',') };
}

/** Tops the group up to `n` receipts with bulk copies of its newest fiscalized one (store.fillTo). */
async function fillAtLeast(env: Env, group: number, n: number): Promise<void> {
  const store = env.store();
  try {
    if ((await store.count(group)) < n) await store.fillTo(group, n, Math.max(1, Math.floor(n / 2)));
  } finally {
    await store.close();
  }
}

/**
 * One authenticated request before any load: the server verifies admin's password once (scrypt)
 * and caches it, as on any server that has been up for a while. (A cold server hit by N
 * connections at once runs scrypt N times — see docs/benchmarks.md.)
 */
async function prime(c: Child): Promise<void> {
  await json(`${c.url}/service_groups/`);
}

// ---------------------------------------------------------------------------------------------
// Throughput rows.

interface Row {
  db: DbKind;
  what: string;
  conns: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb: number;
  /** rps / the same-run ceiling's rps (null for the ceiling rows themselves). */
  ratio: number | null;
  /** POST rows: rps / the same-run group-commit ceiling's rps. */
  ratioGroup?: number;
  note?: string;
}

const post = (c: Child, groupOf: () => number, conns: number, extra: { duration?: number; amount?: number }) =>
  runLoad({
    url: c.url,
    method: 'POST',
    connections: conns,
    ...extra,
    body: RECEIPT_BODY,
    headers: { authorization: ADMIN_AUTH },
    path: () => `/service_groups/${groupOf()}/receipts/`,
    idempotencyKeys: true,
    pid: c.pid,
  });

/** POSTs to the ceiling server: its per-request INSERT (''), or the same batched per event-loop turn. */
const ceilingPost = (c: Child, route: '' | 'group-commit', conns: number, duration: number) =>
  runLoad({ url: c.url, method: 'POST', connections: conns, duration, body: RECEIPT_BODY, path: () => `/ceiling/1/receipts/${route}`, idempotencyKeys: true, pid: c.pid });

async function throughput(kind: DbKind): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (what: string, conns: number, r: LoadResult, ceiling: number | null, note?: string, groupCeiling?: number): Row => {
    const out: Row = { db: kind, what, conns, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, rssMb: r.rssMb, ratio: ceiling ? r.rps / ceiling : null };
    if (groupCeiling) out.ratioGroup = r.rps / groupCeiling;
    if (note !== undefined) out.note = note;
    if (r.errors > 0) out.note = `${note ?? ''} status ${JSON.stringify(r.statusCodes)}, ${r.timeouts} timeouts`.trim();
    rows.push(out);
    log(`${kind} ${what} c=${conns}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms errors ${r.errors} rss ${r.rssMb.toFixed(0)} MB`);
    return out;
  };

  // The ceiling: its own fresh database.
  const ceilPost = new Map<number, number>();
  const ceilGroup = new Map<number, number>();
  const ceilGet = new Map<number, number>();
  await withEnv(kind, (env) =>
    withChild(spawnChild('ceiling-server', env.ceilingEnv), async (c) => {
      let stored = (await ceilingPost(c, '', 10, WARMUP)).statusCodes['200'] ?? 0;
      for (const conns of CONNECTIONS) {
        const r = await ceilingPost(c, '', conns, DURATION);
        stored += r.statusCodes['200'] ?? 0;
        ceilPost.set(conns, row('ceiling: bare INSERT', conns, r, null).rps);
      }
      // The same INSERT batched per event-loop turn as the server batches its accepts.
      stored += (await ceilingPost(c, 'group-commit', 10, WARMUP)).statusCodes['200'] ?? 0;
      const batches = async () => {
        const m = await c.request({ type: 'batches' }, 'batches');
        return { count: Number(m.count), rows: Number(m.rows) };
      };
      for (const conns of CONNECTIONS) {
        const before = await batches();
        const r = await ceilingPost(c, 'group-commit', conns, DURATION);
        const after = await batches();
        stored += r.statusCodes['200'] ?? 0;
        const perBatch = (after.rows - before.rows) / Math.max(1, after.count - before.count);
        ceilGroup.set(conns, row('ceiling: bare INSERT, group commit', conns, r, null, `${perBatch.toFixed(1)} inserts per batch (commit) on average`).rps);
      }
      // Ids 1…stored exist (one group, nothing else inserts).
      const hi = Math.max(1, Math.min(5000, stored));
      const g = (conns: number, duration: number) =>
        runLoad({ url: c.url, method: 'GET', connections: conns, duration, path: () => `/ceiling/1/receipts/${rnd(1, hi)}`, pid: c.pid });
      await g(10, WARMUP);
      for (const conns of CONNECTIONS) ceilGet.set(conns, row('ceiling: bare GET by id', conns, await g(conns, DURATION), null).rps);
    }),
  );

  // The real server, accept path alone: the group's register is held inside a 60 s device call, so
  // the worker takes no receipts while the POSTs run (stopped with SIGKILL after 2 s).
  await withEnv(kind, (env) =>
    withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '1', BENCH_LATENCY_MS: '60000' }), async (c) => {
      const group = c.groups[0] ?? 1;
      await prime(c);
      await post(c, () => group, 10, { duration: WARMUP });
      for (const conns of CONNECTIONS) {
        row('POST receipts/ (accept only, register busy)', conns, await post(c, () => group, conns, { duration: DURATION }), ceilPost.get(conns) ?? null, undefined, ceilGroup.get(conns));
      }
    }, 2000),
  );

  // The real server as deployed: POST while the group's worker drains the queue, then GET and the
  // list; then GET again from a second server on the same database with the body cache off (every
  // read goes to the database, as the ceiling's does); then the bare list on that database.
  const listRows: Row[] = [];
  let serverPage: PageShape | null = null;
  await withEnv(kind, async (env) => {
    const getRows = (c: Child, group: number, hi: number, what: string) => async () => {
      // The stored receipts were posted to this group only, so ids 1…hi all belong to it.
      const g = (conns: number, duration: number) =>
        runLoad({ url: c.url, method: 'GET', connections: conns, duration, headers: { authorization: ADMIN_AUTH }, path: () => `/service_groups/${group}/receipts/${rnd(1, hi)}`, pid: c.pid });
      await g(10, WARMUP);
      for (const conns of CONNECTIONS) row(what, conns, await g(conns, DURATION), ceilGet.get(conns) ?? null);
    };
    const [group, hi] = await withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '1' }), async (c) => {
      const g = c.groups[0] ?? 1;
      await prime(c);
      await post(c, () => g, 10, { duration: WARMUP });
      for (const conns of CONNECTIONS) {
        row('POST receipts/ (register draining the queue)', conns, await post(c, () => g, conns, { duration: DURATION }), ceilPost.get(conns) ?? null, undefined, ceilGroup.get(conns));
      }
      const top = await drained(env, c, g);
      await getRows(c, g, top, 'GET receipts/{rid}')();
      // The list of the same fiscalized receipts, newest first; the ceiling lists the same rows below.
      await fillAtLeast(env, g, LIST_MIN_STORED);
      const listPath = `/service_groups/${g}/receipts/?limit=100`;
      const l = (conns: number, duration: number) =>
        runLoad({ url: c.url, method: 'GET', connections: conns, duration, headers: { authorization: ADMIN_AUTH }, path: () => listPath, pid: c.pid });
      await l(10, WARMUP);
      const page = await pageShape(`${c.url}${listPath}`, { authorization: ADMIN_AUTH });
      for (const conns of CONNECTIONS) listRows.push(row('GET receipts/?limit=100', conns, await l(conns, DURATION), null, `${page.items} items, ${page.bytes} bytes per response`));
      serverPage = page;
      return [g, top] as const;
    });
    await withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '0', CR_RECEIPT_CACHE_MB: '0' }), async (c) => {
      await prime(c);
      await getRows(c, group, hi, 'GET receipts/{rid} (body cache off)')();
    });
    // The bare list on the server's own database and rows (the server is stopped).
    await withChild(spawnChild('ceiling-server', { ...env.ceilingEnv, BENCH_EXISTING: '1' }), async (c) => {
      const listPath = `/ceiling/${group}/receipts/?limit=100`;
      const l = (conns: number, duration: number) => runLoad({ url: c.url, method: 'GET', connections: conns, duration, path: () => listPath, pid: c.pid });
      await l(10, WARMUP);
      const page = await pageShape(`${c.url}${listPath}`, {});
      const same = serverPage !== null && serverPage.keys === page.keys ? 'the same item fields as the server' : `item fields differ from the server's: ${page.keys}`;
      const at = listRows[0] ? rows.indexOf(listRows[0]) : rows.length;
      const ceilRows: Row[] = [];
      for (const conns of CONNECTIONS) {
        const r = row('ceiling: bare list of 100', conns, await l(conns, DURATION), null, `${page.items} items, ${page.bytes} bytes per response, ${same}`);
        ceilRows.push(r);
        for (const s of listRows) if (s.conns === conns) s.ratio = s.rps / r.rps;
      }
      // Listed beside the server's list rows rather than after the body-cache-off GETs.
      rows.splice(rows.length - ceilRows.length, ceilRows.length);
      rows.splice(at, 0, ...ceilRows);
    });
  });

  rows.push(...(await endToEnd(kind)));
  return rows;
}

/**
 * End-to-end: POST → success through 1 and 8 virtual registers, a fresh server and database each.
 * Each rate is set against the bare INSERT at the same connection count measured right before and
 * right after it (their mean): this machine's fsync rate — all the bare INSERT measures — drifts by
 * up to ±40 % within minutes, and a ceiling from the start of the run made the ratio swing with it.
 */
async function endToEnd(kind: DbKind): Promise<Row[]> {
  const rows: Row[] = [];
  for (const groupCount of E2E_REGISTERS) {
    for (const conns of E2E_CONNECTIONS) {
      const before = await bareInsert(kind, conns);
      const r = await withEnv(kind, (env) =>
        withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: String(groupCount) }), async (c) => {
          await prime(c);
          const store = env.store();
          try {
            let k = 0;
            const rss = rssSampler(c.pid);
            const t0 = Date.now();
            const posted = await post(c, () => c.groups[k++ % c.groups.length] ?? 1, conns, { amount: E2E_RECEIPTS });
            const tPosted = Date.now();
            const deadline = Date.now() + 300_000;
            while ((await store.unfinished(c.groups)) > 0 && Date.now() < deadline) await sleep(100);
            const rssMb = rss.stop();
            const s = await store.drainStats(c.groups);
            const seconds = (s.lastFiscalizedAt - t0) / 1000;
            const rps = s.success / seconds;
            const postErrors = posted.errors > 0 ? `; POST errors: status ${JSON.stringify(posted.statusCodes)}, ${posted.timeouts} timeouts` : '';
            const note = `${s.success}/${E2E_RECEIPTS} success in ${seconds.toFixed(1)} s (all POSTs answered after ${((tPosted - t0) / 1000).toFixed(1)} s); p50/p99 = POST→success${postErrors}`;
            log(`${kind} e2e ${groupCount} groups c=${conns}: ${rps.toFixed(0)} receipts/s; ${note}`);
            const row: Row = {
              db: kind,
              what: `end-to-end, ${groupCount} register${groupCount > 1 ? 's' : ''} (fiscalized/s)`,
              conns,
              rps,
              p50: percentile(s.latencies, 50),
              p99: percentile(s.latencies, 99),
              errors: posted.errors + s.failed + s.unfinished,
              rssMb,
              ratio: null,
              note,
            };
            return row;
          } finally {
            await store.close();
          }
        }),
      );
      const after = await bareInsert(kind, conns);
      r.ratio = r.rps / ((before + after) / 2);
      r.note = `${r.note ?? ''}; bare INSERT ${f0(before)} req/s before, ${f0(after)} after (the ratio is against their mean)`;
      log(`${kind} e2e ${groupCount} groups c=${conns}: bare INSERT ${f0(before)} / ${f0(after)} req/s: ${(100 * r.ratio).toFixed(0)} %`);
      rows.push(r);
    }
  }
  return rows;
}

/** The bare INSERT at `conns` connections on a fresh database: req/s after a warm-up. */
async function bareInsert(kind: DbKind, conns: number): Promise<number> {
  return withEnv(kind, (env) =>
    withChild(spawnChild('ceiling-server', env.ceilingEnv), async (c) => {
      await ceilingPost(c, '', conns, WARMUP);
      return (await ceilingPost(c, '', conns, DURATION)).rps;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Read scaling: the same queries with SCALING_SIZES stored receipts.

interface ScaleRow {
  db: DbKind;
  query: string;
  stored: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * A server's group holding one real receipt fiscalized through it: the template of the bulk rows
 * (store.fillTo). The server is stopped again; returns the group's id.
 */
function fiscalizedGroup(env: Env): Promise<number> {
  return withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '1' }), async (c) => {
    const g = c.groups[0] ?? 1;
    const { id } = await json<{ id: string }>(`${c.url}/service_groups/${g}/receipts/`, { method: 'POST', body: RECEIPT_BODY });
    for (let i = 0; i < 200; i++) {
      const r = await json<{ state: string }>(`${c.url}/service_groups/${g}/receipts/${id}`);
      if (r.state === 'success') break;
      await sleep(50);
    }
    return g;
  });
}

async function scaling(kind: DbKind): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  await withEnv(kind, async (env) => {
    const group = await fiscalizedGroup(env);
    for (const size of SCALING_SIZES) {
      const store = env.store();
      let range: [number, number];
      try {
        const t = Date.now();
        range = await store.fillTo(group, size, Math.max(1, Math.floor(size / 2)));
        log(`${kind}: ${size} receipts stored (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      } finally {
        await store.close();
      }
      const orders = Math.max(1, Math.floor(size / 2));
      // The body cache off: this measures how the database path scales, not how many ids fit in memory.
      await withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '0', CR_RECEIPT_CACHE_MB: '0' }), async (c) => {
        await prime(c);
        const queries: [string, () => string][] = [
          ['GET /receipts/{rid}', () => `/service_groups/${group}/receipts/${rnd(range[0], range[1])}`],
          ['GET /receipts/?limit=100', () => `/service_groups/${group}/receipts/?limit=100`],
          ['GET /receipts/?order_id=…', () => `/service_groups/${group}/receipts/?order_id=order-${rnd(0, orders - 1)}`],
        ];
        for (const [query, path] of queries) {
          const load = (duration: number) => runLoad({ url: c.url, method: 'GET', connections: 10, duration, headers: { authorization: ADMIN_AUTH }, path, pid: c.pid });
          await load(WARMUP);
          const r = await load(DURATION);
          rows.push({ db: kind, query, stored: size, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors });
          log(`${kind} ${query} @${size}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} p99 ${r.p99} errors ${r.errors}`);
        }
      });
    }
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// CSV export: one streamed GET of every receipt of a group, at two sizes.

interface ExportRow {
  db: DbKind;
  stored: number;
  rows: number;
  bytes: number;
  ttfbMs: number;
  seconds: number;
  rssBeforeMb: number;
  rssMaxMb: number;
  /** Live JS heap after two full collections, before and after the export (what it retained). */
  heapBeforeMb: number;
  heapAfterMb: number;
}

const currentRssMb = (pid: number) => rssSampler(pid).stop();

/**
 * Reads the export to its end as a client would, chunk by chunk, keeping nothing: counts bytes
 * and line ends (one per row, the header included; no value of these receipts holds a line break).
 */
async function streamCsv(url: string): Promise<{ rows: number; bytes: number; ttfbMs: number; seconds: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: ADMIN_AUTH } });
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  let ttfbMs = -1;
  let bytes = 0;
  let lines = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (ttfbMs < 0) ttfbMs = performance.now() - t0;
    bytes += value.byteLength;
    for (let i = value.indexOf(10); i >= 0; i = value.indexOf(10, i + 1)) lines++;
  }
  return { rows: lines - 1, bytes, ttfbMs, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Fills the group to `size` receipts, starts a fresh server on the database (so the RSS before is a
 * started server's, not one grown by an earlier export) and reads the group's whole export once;
 * with `profileFile`, a CPU profile of just that request.
 */
async function exportOnce(env: Env, group: number, size: number, profileFile?: string): Promise<ExportRow> {
  const t = Date.now();
  await fillAtLeast(env, group, size);
  log(`${env.kind}: ${size} receipts stored for the export (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  // --expose-gc only lets the child answer the live heap after forced full collections.
  return withChild(spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: '0' }, ['--expose-gc']), async (c) => {
    const liveHeapMb = async () => Number((await c.request({ type: 'memory', gc: true }, 'memory')).heapUsed) / 2 ** 20;
    await prime(c);
    await sleep(1000);
    const heapBeforeMb = await liveHeapMb();
    const rssBeforeMb = currentRssMb(c.pid);
    if (profileFile) await c.request({ type: 'profile-start' }, 'profile-started');
    const rss = rssSampler(c.pid);
    const r = await streamCsv(`${c.url}/service_groups/${group}/receipts.csv`);
    const rssMaxMb = rss.stop();
    if (profileFile) await c.request({ type: 'profile-stop', file: profileFile }, 'profile-written');
    const heapAfterMb = await liveHeapMb();
    if (r.rows !== size) throw new Error(`export: ${r.rows} rows, expected ${size}`);
    log(
      `${env.kind} export @${size}: ${r.rows} rows in ${r.seconds.toFixed(2)} s = ${(r.rows / r.seconds).toFixed(0)} rows/s, ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ` +
        `TTFB ${r.ttfbMs.toFixed(0)} ms, RSS ${rssBeforeMb.toFixed(0)} → max ${rssMaxMb.toFixed(0)} MB, live heap ${heapBeforeMb.toFixed(0)} → ${heapAfterMb.toFixed(0)} MB`,
    );
    return { db: env.kind, stored: size, ...r, rssBeforeMb, rssMaxMb, heapBeforeMb, heapAfterMb };
  });
}

async function exportRun(kind: DbKind): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  await withEnv(kind, async (env) => {
    const group = await fiscalizedGroup(env);
    for (const size of EXPORT_SIZES) rows.push(await exportOnce(env, group, size));
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Profile of the POST path.

type ProfileMode = 'accept' | 'draining' | 'get' | 'list' | 'export' | 'e2e';
const PROFILE_WHAT: Record<ProfileMode, string> = {
  accept: 'POST at 50 connections, accept path only (register busy)',
  draining: 'POST at 50 connections, register draining the queue',
  get: 'GET receipts/{rid} at 50 connections (queue drained)',
  list: `GET receipts/?limit=100 at 10 connections (queue drained, ≥ ${LIST_MIN_STORED} receipts)`,
  export: `GET receipts.csv of ${EXPORT_SIZES[1]} receipts, one request`,
  e2e: 'end-to-end, 8 registers, POSTs at 10 connections',
};

function profileModes(list: string): ProfileMode[] {
  const modes = list.split(',');
  const bad = modes.filter((m) => !(m in PROFILE_WHAT));
  if (bad.length > 0) throw new Error(`--profile: unknown ${bad.join(', ')} (known: ${Object.keys(PROFILE_WHAT).join(', ')})`);
  return modes as ProfileMode[];
}

async function profile(kind: DbKind, mode: ProfileMode): Promise<string> {
  const dir = join(RESULTS, 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${mode}-${kind}.cpuprofile`);
  let rps = 0;
  if (mode === 'export') {
    const r = await withEnv(kind, async (env) => exportOnce(env, await fiscalizedGroup(env), EXPORT_SIZES[1], file));
    rps = r.rows / r.seconds;
  } else {
    await withEnv(kind, (env) =>
      withChild(
        spawnChild('server-child', { ...env.serverEnv, BENCH_GROUPS: mode === 'e2e' ? '8' : '1', BENCH_LATENCY_MS: mode === 'accept' ? '60000' : '0' }),
        async (c) => {
          const group = c.groups[0] ?? 1;
          await prime(c);
          if (mode === 'e2e') {
            const store = env.store();
            try {
              let k = 0;
              await c.request({ type: 'profile-start' }, 'profile-started');
              const t0 = Date.now();
              await post(c, () => c.groups[k++ % c.groups.length] ?? 1, 10, { amount: E2E_RECEIPTS });
              while ((await store.unfinished(c.groups)) > 0) await sleep(100);
              rps = (await store.drainStats(c.groups)).success / ((Date.now() - t0) / 1000);
            } finally {
              await store.close();
            }
            await c.request({ type: 'profile-stop', file }, 'profile-written');
          } else {
            await post(c, () => group, 50, { duration: WARMUP });
            if (mode === 'get') {
              const hi = await drained(env, c, group);
              const g = (duration: number) =>
                runLoad({ url: c.url, method: 'GET', connections: 50, duration, headers: { authorization: ADMIN_AUTH }, path: () => `/service_groups/${group}/receipts/${rnd(1, hi)}`, pid: c.pid });
              await c.request({ type: 'profile-start' }, 'profile-started');
              rps = (await g(DURATION)).rps;
            } else if (mode === 'list') {
              await drained(env, c, group);
              await fillAtLeast(env, group, LIST_MIN_STORED);
              const l = (duration: number) =>
                runLoad({ url: c.url, method: 'GET', connections: 10, duration, headers: { authorization: ADMIN_AUTH }, path: () => `/service_groups/${group}/receipts/?limit=100`, pid: c.pid });
              await l(WARMUP);
              await c.request({ type: 'profile-start' }, 'profile-started');
              rps = (await l(DURATION)).rps;
            } else {
              await c.request({ type: 'profile-start' }, 'profile-started');
              rps = (await post(c, () => group, 50, { duration: DURATION })).rps;
            }
            await c.request({ type: 'profile-stop', file }, 'profile-written');
          }
          log(`${kind} profiled ${mode}: ${rps.toFixed(0)} req/s (profiler on)`);
        },
        mode === 'accept' ? 2000 : undefined,
      ),
    );
  }
  return `### ${kind}: ${PROFILE_WHAT[mode]}: ${rps.toFixed(0)} ${mode === 'export' ? 'rows' : 'req'}/s under the profiler (${file.slice(ROOT.length + 1)})\n\n\`\`\`\n${renderSummary(summarise(file, 40), 25)}\n\`\`\``;
}

/**
 * Waits until the group's queue is empty, so a GET run measures reads alone (the ceiling's GET has
 * no register working beside it); returns the highest receipt id to read (at most 5000).
 */
async function drained(env: Env, c: Child, group: number): Promise<number> {
  const store = env.store();
  try {
    while ((await store.unfinished([group])) > 0) await sleep(100);
  } finally {
    await store.close();
  }
  const newest = await json<{ items: { id: number }[] }>(`${c.url}/service_groups/${group}/receipts/?limit=1`);
  return Math.min(5000, newest.items[0]?.id ?? 1);
}

// ---------------------------------------------------------------------------------------------

function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /Model name:\s*(.+)/.exec(execSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? model;
  } catch {
    // lscpu missing
  }
  return `${cpus().length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`;
}

const f0 = (n: number) => n.toFixed(0);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(0)} %`);
/** The rows' notes as a list under their table (nothing when none has one). */
const notesOf = (rows: Row[]): string[] => {
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.db} ${r.what} c=${r.conns}: ${r.note ?? ''}`);
  return notes.length > 0 ? [...notes, ''] : [];
};
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = load();
  const pgOk = await postgresReachable();
  const kinds: DbKind[] = (['sqlite', 'postgres'] as const).filter((k) => (flags.db === undefined || flags.db === k) && (k === 'sqlite' || pgOk));
  if (!pgOk) log('PostgreSQL unreachable: SQLite only');
  log(`${QUICK ? 'quick' : 'full'} run on ${machine()}; load average ${loadBefore}`);
  mkdirSync(RESULTS, { recursive: true });
  log(`compiling the servers (tsc → ${BUILD_DIR.slice(ROOT.length + 1)})`);
  buildServers();

  const out: string[] = [];
  out.push(`# cr-server benchmark — ${QUICK ? 'quick' : 'full'} run, ${started.toISOString()}`, '');
  out.push(`Machine: ${machine()}. Load average (1/5/15 min) before: ${loadBefore}.`);
  out.push(`Each load run: autocannon, ${DURATION} s after a ${WARMUP} s warm-up; end-to-end: ${E2E_RECEIPTS} receipts.`);
  const off = Object.entries(FAST_OFF).map(([env]) => env);
  out.push(`Storage fast paths: ${off.length === 0 ? 'all on' : `off: ${off.join(', ')}`}.`, '');

  if (want('throughput')) {
    const rows: Row[] = [];
    for (const k of kinds) rows.push(...(await throughput(k)));
    const t = table(
      ['db', 'what', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'max RSS MB', 'vs ceiling', 'vs group-commit ceiling'],
      rows.map((r) => [r.db, r.what, String(r.conns), f0(r.rps), String(r.p50), String(r.p99), String(r.errors), f0(r.rssMb), pct(r.ratio), pct(r.ratioGroup)]),
    );
    out.push('## Throughput', '', t, '', ...notesOf(rows));
  }

  if (want('e2e')) {
    const rows: Row[] = [];
    for (const k of kinds) rows.push(...(await endToEnd(k)));
    const t = table(
      ['db', 'what', 'conns', 'fiscalized/s', 'p50 ms', 'p99 ms', 'errors', 'max RSS MB', 'vs bare INSERT before/after'],
      rows.map((r) => [r.db, r.what, String(r.conns), f0(r.rps), String(r.p50), String(r.p99), String(r.errors), f0(r.rssMb), pct(r.ratio)]),
    );
    out.push('## End-to-end against the bare INSERT measured right before and after each run', '', t, '', ...notesOf(rows));
  }

  if (want('scaling')) {
    const rows: ScaleRow[] = [];
    // The quick run checks SQLite only (PostgreSQL's bulk insert and VACUUM take a while).
    for (const k of kinds.filter((x) => !QUICK || x === 'sqlite')) rows.push(...(await scaling(k)));
    const [small, large] = SCALING_SIZES;
    const t = table(
      ['db', 'query (10 conns)', 'stored', 'req/s', 'p50 ms', 'p99 ms', 'errors', `p99 ×${large / 1000}k / ×${small / 1000}k`],
      rows.map((r) => {
        const base = rows.find((b) => b.db === r.db && b.query === r.query && b.stored === small);
        const ratio = r.stored === large && base && base.p99 > 0 ? `${(r.p99 / base.p99).toFixed(2)}×` : '';
        return [r.db, r.query, String(r.stored), f0(r.rps), String(r.p50), String(r.p99), String(r.errors), ratio];
      }),
    );
    out.push(`## Read scaling (${small} vs ${large} stored receipts in one group)`, '', t, '');
  }

  if (want('profile')) {
    out.push('## Profiles (V8 CPU profile of the server child during the load window only)', '');
    // The quick run profiles the accept path and GET only.
    const modes: readonly ProfileMode[] = flags.profile !== undefined ? profileModes(flags.profile) : QUICK ? ['accept', 'get'] : ['accept', 'draining', 'get', 'e2e'];
    for (const k of kinds) for (const mode of modes) out.push(await profile(k, mode), '');
  }

  if (want('export')) {
    const rows: ExportRow[] = [];
    for (const k of kinds) rows.push(...(await exportRun(k)));
    const t = table(
      ['db', 'stored', 'rows exported', 'MiB', 'TTFB ms', 'seconds', 'rows/s', 'RSS before MB', 'max RSS MB', 'RSS growth MB', 'live heap before → after MB'],
      rows.map((r) => [
        r.db,
        String(r.stored),
        String(r.rows),
        (r.bytes / 2 ** 20).toFixed(1),
        r.ttfbMs.toFixed(0),
        r.seconds.toFixed(2),
        f0(r.rows / r.seconds),
        f0(r.rssBeforeMb),
        f0(r.rssMaxMb),
        f0(r.rssMaxMb - r.rssBeforeMb),
        `${r.heapBeforeMb.toFixed(0)} → ${r.heapAfterMb.toFixed(0)}`,
      ]),
    );
    out.push(`## CSV export (GET receipts.csv of a group holding ${EXPORT_SIZES[0]} and ${EXPORT_SIZES[1]} receipts, one streamed request)`, '', t, '');
  }

  if (want('fleet')) {
    const results: FleetResult[] = [];
    const phases = (flags.fleet ?? FLEET_PHASES.join(',')).split(',').map((p) => p.trim());
    const badPhase = phases.filter((p) => !(FLEET_PHASES as readonly string[]).includes(p));
    if (badPhase.length > 0) throw new Error(`--fleet: unknown ${badPhase.join(', ')} (known: ${FLEET_PHASES.join(', ')})`);
    const options = {
      n: FLEET_REGISTERS,
      quick: QUICK,
      phases: phases as FleetPhase[],
      ...(flags['fleet-profile'] ? { profileDir: join(RESULTS, 'profiles') } : {}),
      ...(flags['fleet-pool'] !== undefined ? { poolSize: Number(flags['fleet-pool']) } : {}),
      ...(flags['fleet-tcp'] !== undefined ? { tcp: Number(flags['fleet-tcp']) } : {}),
      ...(flags['fleet-idle'] !== undefined ? { idleSeconds: Number(flags['fleet-idle']) } : {}),
    };
    if (options.idleSeconds !== undefined && !(Number.isInteger(options.idleSeconds) && options.idleSeconds >= 5 && options.idleSeconds <= 600)) throw new Error('--fleet-idle: seconds, an integer 5…600');
    if (options.tcp !== undefined && !(Number.isInteger(options.tcp) && options.tcp >= 0 && options.tcp <= 500)) throw new Error('--fleet-tcp: an integer 0…500');
    if (options.profileDir !== undefined) mkdirSync(options.profileDir, { recursive: true });
    if (options.poolSize !== undefined && !(Number.isInteger(options.poolSize) && options.poolSize >= 1 && options.poolSize <= FLEET_REGISTERS)) {
      throw new Error(`--fleet-pool: an integer 1…${FLEET_REGISTERS}`);
    }
    const fleetStarted = Date.now();
    const loadAtStart = load();
    for (const k of kinds) results.push(await fleet(k, options, { withEnv, log }));
    out.push(renderFleet(results, options));
    out.push(`Fleet part: ${((Date.now() - fleetStarted) / 1000).toFixed(0)} s, load average ${loadAtStart} before, ${load()} after.`, '');
  }

  out.push(`Load average after: ${load()}. Total time ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s.`);
  const text = out.join('\n');
  // A run with fast paths off is written beside the default one, never over it.
  const variant = off.length === 0 ? '' : flags.fast === 'none' ? '-no-fast-paths' : `-without${(flags.fast ?? '').replace(/[^a-z,-]/g, '').replace(/,/g, '')}`;
  writeFileSync(join(RESULTS, `${QUICK ? 'latest-quick' : 'latest'}${variant}.md`), `${text}\n`);
  process.stdout.write(`${text}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
