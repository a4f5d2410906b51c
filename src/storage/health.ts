import { constants, existsSync, readdirSync, statSync } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../domain/errors.js';

/** The embedded profile's database file inside CR_DATA_DIR. */
export const DB_FILE_NAME = 'cr-server.sqlite';
export const dbFileOf = (dataDir: string): string => join(dataDir, DB_FILE_NAME);

/** Why the server cannot keep a receipt right now (the code of /ready and of the 503 on POST). */
export type StorageProblem = 'data_dir_missing' | 'data_dir_not_writable' | 'database_missing' | 'database_replaced' | 'disk_full' | 'storage_unavailable';

export interface StorageStatus {
  ok: boolean;
  code: StorageProblem | null;
  /** For the log only: paths and system error text never go to clients. */
  detail: string | null;
  /** Free space of the data directory for unprivileged users, bytes; null when unknown or not applicable. */
  freeBytes: number | null;
}

const MESSAGES: Record<StorageProblem, string> = {
  data_dir_missing: 'The server cannot store receipts: its data directory is missing',
  data_dir_not_writable: 'The server cannot store receipts: its data directory is not writable',
  database_missing: 'The server cannot store receipts: its database file is missing',
  database_replaced: 'The server cannot store receipts: its database file was replaced',
  disk_full: 'The server cannot store receipts: not enough free disk space',
  storage_unavailable: 'The server cannot store receipts: its storage is unavailable',
};

/** The 503 a receipt gets while the storage is unusable. */
export function storageUnavailable(code: StorageProblem): DomainError {
  const e = new DomainError('unavailable', { code, message: MESSAGES[code] });
  e.retryAfter = 5;
  return e;
}

/** File-system calls of the check (replaceable in tests: a read-only mount cannot be made as an ordinary user). */
export interface HealthFs {
  stat(path: string): Promise<{ isDirectory(): boolean; dev: bigint; ino: bigint }>;
  access(path: string, mode: number): Promise<void>;
  statfs(path: string): Promise<{ bavail: number; bsize: number }>;
}
const nodeFs: HealthFs = {
  stat: (path) => stat(path, { bigint: true }),
  access,
  statfs,
};

interface Logger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface StorageHealthOptions {
  /** null: nothing on disk (in-memory test profile, or PostgreSQL, whose reachability /ready checks itself). */
  dataDir: string | null;
  /** The SQLite file, whose identity is taken now, right after it was opened. */
  dbFile: string | null;
  minFreeBytes: number;
  logger: Logger;
  /** How long a result is trusted, ms. */
  ttlMs?: number;
  fs?: Partial<HealthFs>;
  now?: () => number;
}

const OK: StorageStatus = { ok: true, code: null, detail: null, freeBytes: null };
const errno = (e: unknown): string => (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '');
const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Whether the server can keep what it acknowledges: the data directory exists and is writable, the
 * database file at its path is still the file that was opened (an `rm -rf` of the directory, or a
 * file put in its place, leaves SQLite writing to an unlinked inode — acknowledged receipts that
 * vanish at the next start), and the disk has at least `minFreeBytes` free.
 *
 * A few stat calls, run at most once per `ttlMs` (a background timer keeps the result fresh, and a
 * caller that finds it stale refreshes it once for everybody): /ready and the receipt-accept path
 * read the cached result.
 */
export function createStorageHealth(options: StorageHealthOptions) {
  const fs: HealthFs = { ...nodeFs, ...options.fs };
  const ttl = options.ttlMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const { dataDir, dbFile, minFreeBytes, logger } = options;

  // The identity of the file SQLite opened, taken at open time.
  let opened: { dev: bigint; ino: bigint } | null = null;
  if (dataDir !== null && dbFile !== null) {
    const st = statSync(dbFile, { bigint: true });
    opened = { dev: st.dev, ino: st.ino };
  }

  let status: StorageStatus = OK;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let running: Promise<StorageStatus> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const bad = (code: StorageProblem, detail: string, freeBytes: number | null = null): StorageStatus => ({ ok: false, code, detail, freeBytes });

  /**
   * A path vanished after the directory was seen: rm -rf is not atomic and may be running while
   * the probe does, so name the directory when it is gone too, else the database file.
   */
  async function missing(path: string, e: unknown): Promise<StorageStatus> {
    const dirGone = dataDir !== null && (await fs.stat(dataDir).then(() => false, () => true));
    return dirGone ? bad('data_dir_missing', `${dataDir}: ${text(e)}`) : bad('database_missing', `${path}: ${text(e)}`);
  }

  async function probe(): Promise<StorageStatus> {
    if (dataDir === null) return OK;
    try {
      const st = await fs.stat(dataDir);
      if (!st.isDirectory()) return bad('data_dir_missing', `${dataDir} is not a directory`);
    } catch (e) {
      const code = errno(e);
      return code === 'ENOENT' || code === 'ENOTDIR' ? bad('data_dir_missing', `${dataDir}: ${text(e)}`) : bad('storage_unavailable', `${dataDir}: ${text(e)}`);
    }
    if (dbFile !== null && opened !== null) {
      try {
        const st = await fs.stat(dbFile);
        if (st.dev !== opened.dev || st.ino !== opened.ino) return bad('database_replaced', `${dbFile} is not the file opened at start (dev/inode ${opened.dev}/${opened.ino}, now ${st.dev}/${st.ino})`);
      } catch (e) {
        return errno(e) === 'ENOENT' ? missing(dbFile, e) : bad('storage_unavailable', `${dbFile}: ${text(e)}`);
      }
    }
    // access(W_OK) also reports a read-only mount (EROFS), for root as well.
    for (const path of dbFile === null ? [dataDir] : [dataDir, dbFile]) {
      try {
        await fs.access(path, constants.W_OK);
      } catch (e) {
        const code = errno(e);
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return bad('data_dir_not_writable', `${path}: ${text(e)}`);
        if (code === 'ENOENT') return missing(path, e);
        return bad('storage_unavailable', `${path}: ${text(e)}`);
      }
    }
    let freeBytes: number;
    try {
      const f = await fs.statfs(dataDir);
      freeBytes = f.bavail * f.bsize;
    } catch (e) {
      return errno(e) === 'ENOENT' ? missing(dataDir, e) : bad('storage_unavailable', `statfs ${dataDir}: ${text(e)}`);
    }
    if (freeBytes < minFreeBytes) return bad('disk_full', `${dataDir}: ${freeBytes} bytes free, below the minimum of ${minFreeBytes} (CR_MIN_FREE_MB)`, freeBytes);
    return { ok: true, code: null, detail: null, freeBytes };
  }

  function refresh(): Promise<StorageStatus> {
    running ??= probe()
      .catch((e: unknown): StorageStatus => bad('storage_unavailable', text(e)))
      .then((next) => {
        if (next.code !== status.code) {
          if (next.ok) logger.info({ previous: status.code }, 'storage usable again: accepting receipts');
          else logger.error({ code: next.code, detail: next.detail }, 'storage unusable: /ready is 503 and new receipts are refused');
        }
        status = next;
        checkedAt = now();
        return next;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  const fresh = (maxAge: number) => dataDir === null || now() - checkedAt < maxAge;

  return {
    /** The last result, however old (metrics). */
    get current(): StorageStatus {
      return status;
    },
    /** A result at most `ttlMs` old (/ready). */
    check(): Promise<StorageStatus> {
      return fresh(ttl) ? Promise.resolve(status) : refresh();
    },
    /**
     * Throws the 503 when the storage cannot keep a receipt; synchronous while the result is fresh
     * (the hot path awaits nothing), else refreshes it first. So a receipt that arrives within
     * about a second of the storage breaking can still be accepted.
     */
    assertWritable(): void | Promise<void> {
      // The timer refreshes every `ttl`; a little slack keeps the hot path from waiting on it.
      if (!fresh(2 * ttl)) {
        return refresh().then((s) => {
          if (!s.ok && s.code) throw storageUnavailable(s.code);
        });
      }
      if (!status.ok && status.code) throw storageUnavailable(status.code);
    },
    /** Checks now, then keeps the result fresh in the background until stop(). */
    async start(): Promise<void> {
      await refresh();
      if (dataDir === null || timer) return;
      timer = setInterval(() => void refresh(), ttl);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
export type StorageHealth = ReturnType<typeof createStorageHealth>;

export class DataDirError extends Error {
  override name = 'DataDirError';
  constructor(message: string) {
    super(message);
    // A refusal to start, not a bug: the message is all the operator needs.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Before the embedded profile opens (and so would create) its database: a data directory that
 * holds the state of an earlier installation — the virtual registers' fiscal memory in devices/,
 * or SQLite's WAL — but no database file lost its database (deleted, or the directory mounted is
 * not the one used before). Starting with a fresh, empty database would silently forget every
 * receipt and pair old fiscal memory with new groups: refuse, and say what to do.
 * Returns null when starting is fine (a new or intact directory).
 */
export function dataDirProblem(dataDir: string): string | null {
  const dbFile = dbFileOf(dataDir);
  if (!existsSync(dataDir) || existsSync(dbFile)) return null;
  const leftovers: string[] = [];
  for (const f of [`${DB_FILE_NAME}-wal`, `${DB_FILE_NAME}-shm`]) if (existsSync(join(dataDir, f))) leftovers.push(f);
  const devices = join(dataDir, 'devices');
  try {
    if (readdirSync(devices).length > 0) leftovers.push('devices/');
  } catch {
    // no devices/ directory
  }
  if (leftovers.length === 0) return null;
  return (
    `the database ${dbFile} is missing, but the data directory ${dataDir} holds the state of an earlier installation (${leftovers.join(', ')}). ` +
    'Refusing to start with a fresh, empty database, which would lose every stored receipt. ' +
    `Restore ${DB_FILE_NAME} from a backup (or point CR_DATA_DIR at the right directory); to really start over, move ${leftovers.join(' and ')} out of ${dataDir}.`
  );
}
