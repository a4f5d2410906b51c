import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { FastPathSwitches } from './storage/fast-paths.js';
import { parseAllowList, type AllowEntry } from './callbacks/destination.js';

export type Profile = 'test' | 'embedded' | 'postgres';

export interface Config {
  profile: Profile;
  host: string;
  port: number;
  publicUrl: string;
  /** null in the `test` profile: everything in memory. */
  dataDir: string | null;
  /** Password of the first superuser `admin`; null → generate and print once. */
  adminPassword: string | null;
  databaseUrl: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Maximum request body, bytes. */
  bodyLimit: number;
  /** Memory for rendered bodies of fiscalized receipts (GET), bytes; 0 turns the cache off. */
  receiptCacheBytes: number;
  /** Identity of this node for device leases (scale-out). */
  nodeId: string;
  /**
   * Which peers may set X-Forwarded-For / X-Forwarded-Proto: false (none), true (any), a hop
   * count, or addresses/CIDRs. Trusting everyone would let any client pick its own IP and walk
   * around the per-IP login throttling.
   */
  trustProxy: boolean | number | string[];
  /** Whole request (headers and body) must arrive within this, ms (slow-body clients are cut). */
  requestTimeoutMs: number;
  /** Request headers must arrive within this, ms. */
  headersTimeoutMs: number;
  /** A connection that sends or receives nothing for this long is closed, ms (a trickling body). */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** Open connections, in total and from one address; more are refused at accept. */
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Bearer token required by GET /metrics; null: open (bind to a private address instead). */
  metricsToken: string | null;
  /** /ready reports not ready, and new receipts are refused with 503, below this free space, bytes. */
  minFreeBytes: number;
  /** Device lease length, ms: a node that stops renewing loses its devices after this. */
  leaseTtlMs: number;
  /** Upper bound of one device call, ms; must leave the lease a safety margin (≤ a third of the lease). */
  deviceCallTimeoutMs: number;
  /** The storage fast paths (docs/architecture.md «Batching and caches»): each on by default; off only to measure or to rule one out. */
  fastPaths: Readonly<FastPathSwitches>;
  /** Callback destinations allowed although private, loopback…: addresses, CIDR networks, host names (CR_CALLBACK_ALLOW). */
  callbackAllow: readonly AllowEntry[];
  /** A callback delivery is retried for this many hours after it was queued, then it is failed. */
  callbackRetryHours: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variable ↔ CLI flag. The CR_* names are a contract (architecture.md). */
const OPTIONS = {
  profile: { env: 'CR_PROFILE', flag: 'profile' },
  host: { env: 'CR_HOST', flag: 'host' },
  port: { env: 'CR_PORT', flag: 'port' },
  publicUrl: { env: 'CR_PUBLIC_URL', flag: 'public-url' },
  dataDir: { env: 'CR_DATA_DIR', flag: 'data-dir' },
  adminPassword: { env: 'CR_ADMIN_PASSWORD', flag: 'admin-password' },
  databaseUrl: { env: 'DATABASE_URL', flag: 'database-url' },
  logLevel: { env: 'CR_LOG_LEVEL', flag: 'log-level' },
  bodyLimit: { env: 'CR_BODY_LIMIT', flag: 'body-limit' },
  receiptCacheMb: { env: 'CR_RECEIPT_CACHE_MB', flag: 'receipt-cache-mb' },
  nodeId: { env: 'CR_NODE_ID', flag: 'node-id' },
  trustProxy: { env: 'CR_TRUST_PROXY', flag: 'trust-proxy' },
  requestTimeoutMs: { env: 'CR_REQUEST_TIMEOUT_MS', flag: 'request-timeout-ms' },
  headersTimeoutMs: { env: 'CR_HEADERS_TIMEOUT_MS', flag: 'headers-timeout-ms' },
  idleTimeoutMs: { env: 'CR_IDLE_TIMEOUT_MS', flag: 'idle-timeout-ms' },
  keepAliveTimeoutMs: { env: 'CR_KEEPALIVE_TIMEOUT_MS', flag: 'keepalive-timeout-ms' },
  maxConnections: { env: 'CR_MAX_CONNECTIONS', flag: 'max-connections' },
  maxConnectionsPerIp: { env: 'CR_MAX_CONNECTIONS_PER_IP', flag: 'max-connections-per-ip' },
  metricsToken: { env: 'CR_METRICS_TOKEN', flag: 'metrics-token' },
  minFreeMb: { env: 'CR_MIN_FREE_MB', flag: 'min-free-mb' },
  leaseTtlMs: { env: 'CR_LEASE_TTL_MS', flag: 'lease-ttl-ms' },
  deviceCallTimeoutMs: { env: 'CR_DEVICE_CALL_TIMEOUT_MS', flag: 'device-call-timeout-ms' },
  fastGroupCommit: { env: 'CR_FAST_GROUP_COMMIT', flag: 'fast-group-commit' },
  fastReadCache: { env: 'CR_FAST_READ_CACHE', flag: 'fast-read-cache' },
  fastPrecompiled: { env: 'CR_FAST_PRECOMPILED', flag: 'fast-precompiled' },
  fastSqliteHandover: { env: 'CR_FAST_SQLITE_HANDOVER', flag: 'fast-sqlite-handover' },
  callbackAllow: { env: 'CR_CALLBACK_ALLOW', flag: 'callback-allow' },
  callbackRetryHours: { env: 'CR_CALLBACK_RETRY_HOURS', flag: 'callback-retry-hours' },
} as const;
type Key = keyof typeof OPTIONS;

export const CONFIG_HELP = `Usage: cr-server [options]

Options (each also read from its environment variable; flags win):
  --profile <test|embedded|postgres>  CR_PROFILE         default embedded (postgres when DATABASE_URL is set)
  --host <addr>                       CR_HOST            default 127.0.0.1
  --port <n>                          CR_PORT            default 8080
  --public-url <url>                  CR_PUBLIC_URL      default http://{host}:{port}
  --data-dir <dir>                    CR_DATA_DIR        default ./data
  --admin-password <pw>               CR_ADMIN_PASSWORD  first superuser password (generated if unset; admin in test)
  --database-url <url>                DATABASE_URL       PostgreSQL connection string (postgres profile)
  --log-level <level>                 CR_LOG_LEVEL       default info (warn in test)
  --body-limit <bytes>                CR_BODY_LIMIT      default 262144
  --receipt-cache-mb <n>              CR_RECEIPT_CACHE_MB  memory for fiscalized receipts' GET bodies: default 32, 0 = off
  --node-id <id>                      CR_NODE_ID         default hostname:pid
  --trust-proxy <false|true|N|addrs>  CR_TRUST_PROXY     reverse proxies allowed to set X-Forwarded-*: default false;
                                                         e.g. 127.0.0.1 or 10.0.0.0/8,192.168.1.5 or a hop count
  --request-timeout-ms <n>            CR_REQUEST_TIMEOUT_MS    whole request (headers + body): default 30000
  --headers-timeout-ms <n>            CR_HEADERS_TIMEOUT_MS    request headers: default 10000
  --idle-timeout-ms <n>               CR_IDLE_TIMEOUT_MS       connection silent this long is closed: default 10000
  --keepalive-timeout-ms <n>          CR_KEEPALIVE_TIMEOUT_MS  idle keep-alive connection: default 5000
  --max-connections <n>               CR_MAX_CONNECTIONS       open connections in total: default 10000
  --max-connections-per-ip <n>        CR_MAX_CONNECTIONS_PER_IP  open connections from one address: default 256
  --metrics-token <token>             CR_METRICS_TOKEN   bearer token for GET /metrics (default: none, open)
  --min-free-mb <n>                   CR_MIN_FREE_MB     free disk space below which receipts are refused: default 100
  --lease-ttl-ms <n>                  CR_LEASE_TTL_MS    device lease length (scale-out): default 30000
  --device-call-timeout-ms <n>        CR_DEVICE_CALL_TIMEOUT_MS  longest device call: default 10000 (≤ a third of the lease)
  --callback-allow <list>             CR_CALLBACK_ALLOW  callback destinations allowed although private/loopback:
                                                         addresses, CIDRs, host names, e.g. 10.0.0.0/8,hooks.internal
  --callback-retry-hours <n>          CR_CALLBACK_RETRY_HOURS  retry a callback this long: default 24 (1–720)
  Storage fast paths (on|off, default on; off only to measure one's effect or rule it out):
  --fast-group-commit <on|off>        CR_FAST_GROUP_COMMIT     SQLite group commit, PostgreSQL batched accept
  --fast-read-cache <on|off>          CR_FAST_READ_CACHE       1-second group lookup cache
  --fast-precompiled <on|off>         CR_FAST_PRECOMPILED      hot reads compiled once, SQLite statement cache
  --fast-sqlite-handover <on|off>     CR_FAST_SQLITE_HANDOVER  SQLite connection hand-over and idle reads
  -h, --help
`;

/** The only reader of process.env: validates everything and returns a frozen config. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, defaults: { nodeId: string }): Readonly<Config> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.values(OPTIONS).map((o) => [o.flag, { type: 'string' as const }])),
    });
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
  const raw = (key: Key): string | undefined => {
    const o = OPTIONS[key];
    const v = (parsed.values as Record<string, string | undefined>)[o.flag] ?? env[o.env];
    return v === undefined || v === '' ? undefined : v;
  };
  const name = (key: Key) => `${OPTIONS[key].env} / --${OPTIONS[key].flag}`;

  const databaseUrl = raw('databaseUrl') ?? null;
  const profileRaw = raw('profile') ?? (databaseUrl ? 'postgres' : 'embedded');
  if (profileRaw !== 'test' && profileRaw !== 'embedded' && profileRaw !== 'postgres') {
    throw new ConfigError(`${name('profile')}: must be test, embedded or postgres, got "${profileRaw}"`);
  }
  const profile: Profile = profileRaw;
  if (profile === 'postgres') {
    if (!databaseUrl) throw new ConfigError(`${name('databaseUrl')}: required for the postgres profile`);
    let u: URL;
    try {
      u = new URL(databaseUrl);
    } catch {
      throw new ConfigError(`${name('databaseUrl')}: not a URL`);
    }
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
      throw new ConfigError(`${name('databaseUrl')}: must start with postgres:// or postgresql://`);
    }
  }

  const host = raw('host') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError(`${name('host')}: not a host name or address: "${host}"`);

  const port = parseIntStrict(raw('port') ?? '8080', 0, 65535, name('port'));

  const publicRaw = raw('publicUrl') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let publicUrl: string;
  try {
    const u = new URL(publicRaw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    publicUrl = u.toString().replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`${name('publicUrl')}: must be an absolute http(s) URL, got "${publicRaw}"`);
  }

  const dataDir = profile === 'test' ? null : resolve(raw('dataDir') ?? './data');

  const adminPassword = raw('adminPassword') ?? (profile === 'test' ? 'admin' : null);
  if (adminPassword !== null && adminPassword.length < 4) {
    throw new ConfigError(`${name('adminPassword')}: must be at least 4 characters`);
  }

  const logLevel = raw('logLevel') ?? (profile === 'test' ? 'warn' : 'info');
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  if (!(levels as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`${name('logLevel')}: one of ${levels.join(', ')}`);
  }

  const bodyLimit = parseIntStrict(raw('bodyLimit') ?? '262144', 1024, 16 * 1024 * 1024, name('bodyLimit'));
  const receiptCacheBytes = parseIntStrict(raw('receiptCacheMb') ?? '32', 0, 4096, name('receiptCacheMb')) * 1024 * 1024;
  const nodeId = raw('nodeId') ?? defaults.nodeId;

  const tp = raw('trustProxy') ?? 'false';
  let trustProxy: Config['trustProxy'];
  if (tp === 'false' || tp === 'true') trustProxy = tp === 'true';
  else if (/^\d{1,2}$/.test(tp)) trustProxy = Number(tp);
  else {
    const list = tp.split(',').map((x) => x.trim()).filter(Boolean);
    if (list.length === 0 || !list.every((x) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(x))) {
      throw new ConfigError(`${name('trustProxy')}: false, true, a hop count, or comma-separated IP addresses/CIDRs; got "${tp}"`);
    }
    trustProxy = list;
  }

  const requestTimeoutMs = parseIntStrict(raw('requestTimeoutMs') ?? '30000', 1000, 600_000, name('requestTimeoutMs'));
  const headersTimeoutMs = parseIntStrict(raw('headersTimeoutMs') ?? '10000', 1000, 600_000, name('headersTimeoutMs'));
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError(`${name('headersTimeoutMs')}: must not exceed ${name('requestTimeoutMs')} (${requestTimeoutMs})`);
  const idleTimeoutMs = parseIntStrict(raw('idleTimeoutMs') ?? '10000', 1000, 600_000, name('idleTimeoutMs'));
  const keepAliveTimeoutMs = parseIntStrict(raw('keepAliveTimeoutMs') ?? '5000', 100, 600_000, name('keepAliveTimeoutMs'));
  const maxConnections = parseIntStrict(raw('maxConnections') ?? '10000', 1, 1_000_000, name('maxConnections'));
  const maxConnectionsPerIp = parseIntStrict(raw('maxConnectionsPerIp') ?? '256', 1, 1_000_000, name('maxConnectionsPerIp'));
  const metricsToken = raw('metricsToken') ?? null;
  if (metricsToken !== null && !/^[\x21-\x7e]{16,256}$/.test(metricsToken)) {
    throw new ConfigError(`${name('metricsToken')}: 16 to 256 printable ASCII characters without spaces`);
  }
  const minFreeBytes = parseIntStrict(raw('minFreeMb') ?? '100', 0, 1_000_000, name('minFreeMb')) * 1024 * 1024;
  const leaseTtlMs = parseIntStrict(raw('leaseTtlMs') ?? '30000', 1000, 3_600_000, name('leaseTtlMs'));
  const deviceCallTimeoutMs = parseIntStrict(raw('deviceCallTimeoutMs') ?? '10000', 100, 600_000, name('deviceCallTimeoutMs'));
  if (deviceCallTimeoutMs * 3 > leaseTtlMs) {
    throw new ConfigError(`${name('deviceCallTimeoutMs')}: must be at most a third of ${name('leaseTtlMs')} (${leaseTtlMs}): the lease must outlast a device call with a safety margin`);
  }

  const allow = parseAllowList(raw('callbackAllow') ?? '');
  if (!allow.ok) throw new ConfigError(`${name('callbackAllow')}: "${allow.entry}" is not an IP address, a CIDR network or a host name`);
  const callbackRetryHours = parseIntStrict(raw('callbackRetryHours') ?? '24', 1, 720, name('callbackRetryHours'));

  const onOff = (key: 'fastGroupCommit' | 'fastReadCache' | 'fastPrecompiled' | 'fastSqliteHandover'): boolean => {
    const given = raw(key) ?? 'on';
    const v = given.toLowerCase();
    if (v === 'on' || v === 'true' || v === '1') return true;
    if (v === 'off' || v === 'false' || v === '0') return false;
    throw new ConfigError(`${name(key)}: on or off, got "${given}"`);
  };
  const fastPaths = Object.freeze({
    groupCommit: onOff('fastGroupCommit'),
    readCache: onOff('fastReadCache'),
    precompiled: onOff('fastPrecompiled'),
    sqliteHandover: onOff('fastSqliteHandover'),
  });

  return Object.freeze({
    profile,
    host,
    port,
    publicUrl,
    dataDir,
    adminPassword,
    databaseUrl: profile === 'postgres' ? databaseUrl : null,
    logLevel: logLevel as Config['logLevel'],
    bodyLimit,
    receiptCacheBytes,
    nodeId,
    trustProxy,
    requestTimeoutMs,
    headersTimeoutMs,
    idleTimeoutMs,
    keepAliveTimeoutMs,
    maxConnections,
    maxConnectionsPerIp,
    metricsToken,
    minFreeBytes,
    leaseTtlMs,
    deviceCallTimeoutMs,
    fastPaths,
    callbackAllow: allow.entries,
    callbackRetryHours,
  });
}

function parseIntStrict(text: string, min: number, max: number, name: string): number {
  if (!/^\d+$/.test(text)) throw new ConfigError(`${name}: must be an integer, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new ConfigError(`${name}: must be between ${min} and ${max}, got ${n}`);
  return n;
}
