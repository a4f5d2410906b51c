import { closeSync, fsync, mkdirSync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname } from 'node:path';
import { NativeSqlite } from '../../sqlite-native.js';
import type { SumCounters } from './counters.js';
import type { MarkingMemory, SaleNotification } from './marking.js';
import { storedIdentity } from './identity.js';
import type { FnIdentity } from './identity.js';
import { isDocCode } from './tags.js';
import type { DocCode } from './tags.js';
import { isTagList, mapUnixTimes } from '../ffd/tag-list.js';
import type { TagList } from '../ffd/tag-list.js';

/**
 * The FN's non-volatile memory: one SQLite file per device. Every document close is one
 * IMMEDIATE transaction writing the journal row(s) and the counters together, so a process killed
 * at any moment leaves the whole document or nothing, like the FN's atomic close (domain.md §2.5).
 * Counters are re-read inside each transaction, never cached, so two processes opening the same
 * file cannot hand out one FD number twice.
 */

export interface ShiftTotals {
  sell: number;
  sellReturn: number;
  buy: number;
  buyReturn: number;
}

export interface FnState {
  /** 1040 of the last closed document */
  fdNumber: number;
  /** 1038 of the current or last shift */
  shiftNumber: number;
  shiftOpen: boolean;
  /** ms */
  shiftOpenedAt: number | null;
  /** 1042 of the last receipt in the current shift */
  receiptInShift: number;
  /** 1111 so far (open-shift report and receipts) */
  shiftFdCount: number;
  shiftTotals: ShiftTotals;
  /** ms of the last document; the FN refuses earlier times (FN error 0x17) */
  lastDocumentAt: number;
  /** Sum counters of the shift and of the FN's life (counters.ts); absent in stores that predate them. */
  counters?: { shift: SumCounters; fn: SumCounters };
  /** FN-M marking work (marking.ts); absent in stores that predate it, which means none. */
  marking?: MarkingMemory;
  /**
   * Set by the report on closing the FN (document 6): the FN's fiscal mode has ended and it takes
   * no more fiscal documents. Absent in stores that predate it, which means open: a store written
   * before this field could not have closed its archive, so no schema change is needed.
   */
  archiveClosed?: { fdNumber: number; at: number };
}

export interface StoredDocument {
  fdNumber: number;
  code: DocCode;
  tags: TagList;
  /** The tags as the fiscal sign covers them, when they differ from `tags` (schema-1 time, below). */
  signedTags?: TagList;
  fiscalSign: string;
  /** ms, the device clock at close */
  createdAt: number;
  /** ms the OFD acknowledged it, null while in the outbox */
  ofdAckedAt: number | null;
}

export type NewDocument = Omit<StoredDocument, 'ofdAckedAt' | 'signedTags'>;

export interface UnsentSummary {
  count: number;
  /** ms */
  oldestAt: number | null;
  firstNumber: number | null;
}

/** A sale notification (82) in the FN's notification storage. */
export interface StoredNotification {
  /** 2002 */
  number: number;
  /** ms, the device clock when the FN formed it */
  createdAt: number;
  /** 2006 of the operator's receipt: it names units whose check was negative */
  negative: boolean;
  body: SaleNotification;
  /** ms the marking operator confirmed it (84), null while unconfirmed */
  confirmedAt: number | null;
}

export type NewNotification = Omit<StoredNotification, 'confirmedAt'>;

export interface UnconfirmedSummary {
  /** 2104 */
  count: number;
  /** ms */
  oldestAt: number | null;
  firstNumber: number | null;
}

export interface Commit<T> {
  state: FnState;
  documents: NewDocument[];
  /** Sale notifications the documents leave behind (a receipt with marked units: one). */
  notifications?: NewNotification[];
  result: T;
}

export interface DeviceStore {
  readonly identity: FnIdentity;
  readonly secret: Buffer;
  readState(): FnState;
  /** Runs `fn` on the current counters inside one IMMEDIATE transaction; a throw commits nothing. */
  commit<T>(fn: (state: FnState) => Commit<T>): T;
  document(fdNumber: number): StoredDocument | null;
  journal(): StoredDocument[];
  unsent(): UnsentSummary;
  /** Marks as acknowledged every document the OFD has answered by `now` (see ofd.ts). */
  ackOfd(now: number, enabledSince: number, delayMs: number): number;
  /** Sale notifications (82) the marking operator has not confirmed. */
  unconfirmedNotifications(): UnconfirmedSummary;
  /** Marks as confirmed (84) every notification the operator has answered by `now`: `delayMs` after it was formed or it became reachable. */
  confirmNotifications(now: number, reachableSince: number, delayMs: number): number;
  /** Notifications with 2006 set confirmed in (`after`, `upTo`]: 2112 bit 2 material. */
  negativeReceipts(after: number | null, upTo: number): number;
  /** Every sale notification, in 2002 order. */
  notifications(): StoredNotification[];
  /**
   * Resolves once everything written so far is on disk (the WAL's fsync, on libuv's thread pool).
   * The driver awaits it before it answers: a document it reports survives a power loss, as with
   * synchronous=FULL, without the fsync blocking the event loop on every commit.
   */
  durable(): Promise<void>;
  close(): void;
}

export interface StoreGenesis {
  identity: FnIdentity;
  secret: Buffer;
  state: FnState;
  documents: NewDocument[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS documents (
  fd_number INTEGER PRIMARY KEY,
  code INTEGER NOT NULL,
  tags TEXT NOT NULL,
  fiscal_sign TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ofd_acked_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS documents_unsent ON documents (fd_number) WHERE ofd_acked_at IS NULL;
CREATE TABLE IF NOT EXISTS marking_notifications (
  number INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  negative INTEGER NOT NULL,
  body TEXT NOT NULL,
  confirmed_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS marking_notifications_unconfirmed ON marking_notifications (number) WHERE confirmed_at IS NULL;
`;

interface NotificationRow {
  number: number;
  created_at: number;
  negative: number;
  body: string;
  confirmed_at: number | null;
}

function toNotification(row: NotificationRow): StoredNotification {
  const body: unknown = JSON.parse(row.body);
  if (typeof body !== 'object' || body === null || !('items' in body) || !Array.isArray(body.items)) throw new Error(`corrupt FN notification ${row.number}`);
  return { number: row.number, createdAt: row.created_at, negative: row.negative !== 0, body: body as SaleNotification, confirmedAt: row.confirmed_at };
}

interface DocumentRow {
  fd_number: number;
  code: number;
  tags: string;
  fiscal_sign: string;
  created_at: number;
  ofd_acked_at: number | null;
}

function toDocument(row: DocumentRow, legacy: LegacyTime): StoredDocument {
  const tags: unknown = JSON.parse(row.tags);
  if (!isDocCode(row.code) || !isTagList(tags)) throw new Error(`corrupt FN journal row ${row.fd_number}`);
  const shift = row.fd_number < legacy.wallClockFrom ? legacy.offsetSeconds : 0;
  return {
    fdNumber: row.fd_number,
    code: row.code,
    ...(shift === 0 ? { tags } : { tags: mapUnixTimes(tags, (t) => t + shift), signedTags: tags }),
    fiscalSign: row.fiscal_sign,
    createdAt: row.created_at,
    ofdAckedAt: row.ofd_acked_at,
  };
}

/**
 * Schema 1 wrote UnixTime tags as the UTC instant; schema 2 writes the register's wall clock
 * (docs/domain.md §1.1). Documents an FN closed under schema 1 are shown on the wall clock when
 * read; their stored bytes, which the fiscal sign covers, stay as they were.
 */
interface LegacyTime {
  /** First FD written with wall-clock time. */
  wallClockFrom: number;
  offsetSeconds: number;
}

const SCHEMA_VERSION = '2';

/** Opens (creating on first use) the FN memory in `file`; `genesis` builds the fiscalized FN once. */
export function openDeviceStore(file: string, genesis: () => StoreGenesis, offsetMinutes: number): DeviceStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new NativeSqlite(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // NORMAL: a commit writes the WAL without an fsync (a process crash loses nothing; checkpoints
  // still sync). durable() fsyncs the WAL off the event loop before the driver answers, so a
  // document the driver reported as closed survives a power loss as with FULL — and a thousand
  // virtual registers on one node do not stall the event loop with an fsync per document each.
  db.pragma('synchronous = NORMAL');
  // One store per virtual register, a thousand on a big node: a small page cache each (the FN's
  // journal is read by number, not scanned), instead of SQLite's default 2 MB.
  db.pragma('cache_size = -256');
  db.exec(SCHEMA);

  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const setMeta = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const insertDoc = db.prepare<[number, number, string, string, number]>(
    'INSERT INTO documents (fd_number, code, tags, fiscal_sign, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const selectDoc = db.prepare<[number], DocumentRow>('SELECT * FROM documents WHERE fd_number = ?');
  const selectAll = db.prepare<[], DocumentRow>('SELECT * FROM documents ORDER BY fd_number');
  const selectUnsent = db.prepare<[], { count: number; oldest: number | null; first: number | null }>(
    'SELECT COUNT(*) AS count, MIN(created_at) AS oldest, MIN(fd_number) AS first FROM documents WHERE ofd_acked_at IS NULL',
  );
  // The simulated OFD answers each document `delay` ms after it was queued, or after the link came up.
  const ack = db.prepare<{ now: number; since: number; delay: number }>(
    `UPDATE documents SET ofd_acked_at = MAX(created_at, :since) + :delay
     WHERE ofd_acked_at IS NULL AND MAX(created_at, :since) + :delay <= :now`,
  );

  const insertNotification = db.prepare<[number, number, number, string]>(
    'INSERT INTO marking_notifications (number, created_at, negative, body) VALUES (?, ?, ?, ?)',
  );
  const selectUnconfirmed = db.prepare<[], { count: number; oldest: number | null; first: number | null }>(
    'SELECT COUNT(*) AS count, MIN(created_at) AS oldest, MIN(number) AS first FROM marking_notifications WHERE confirmed_at IS NULL',
  );
  // The simulated marking operator confirms each notification like the OFD acknowledges documents.
  const confirm = db.prepare<{ now: number; since: number; delay: number }>(
    `UPDATE marking_notifications SET confirmed_at = MAX(created_at, :since) + :delay
     WHERE confirmed_at IS NULL AND MAX(created_at, :since) + :delay <= :now`,
  );
  const selectNegative = db.prepare<{ after: number; upTo: number }, { count: number }>(
    'SELECT COUNT(*) AS count FROM marking_notifications WHERE negative = 1 AND confirmed_at > :after AND confirmed_at <= :upTo',
  );
  const selectNotifications = db.prepare<[], NotificationRow>('SELECT * FROM marking_notifications ORDER BY number');

  // Writes counted, and how many of them are known to be on disk (see durable()).
  let written = 1;
  let synced = 0;
  let syncing: Promise<void> | null = null;
  let walFd: number | null = null;
  const syncWal = promisify(fsync);

  const insertAll = (docs: NewDocument[]): void => {
    for (const d of docs) insertDoc.run(d.fdNumber, d.code, JSON.stringify(d.tags), d.fiscalSign, d.createdAt);
  };
  const readState = (): FnState => {
    const row = getMeta.get('state');
    if (!row) throw new Error('FN memory has no state');
    return JSON.parse(row.value) as FnState;
  };

  db.transaction(() => {
    if (getMeta.get('identity')) return;
    const g = genesis();
    setMeta.run('schema', SCHEMA_VERSION);
    setMeta.run('wall_clock_from', '0');
    setMeta.run('identity', JSON.stringify(g.identity));
    setMeta.run('secret', g.secret.toString('hex'));
    setMeta.run('state', JSON.stringify(g.state));
    insertAll(g.documents);
  }).immediate();

  db.transaction(() => {
    if (getMeta.get('schema')?.value !== '1') return;
    const last = readState().fdNumber;
    setMeta.run('wall_clock_from', String(last + 1));
    setMeta.run('schema', SCHEMA_VERSION);
  }).immediate();
  const legacy: LegacyTime = { wallClockFrom: Number(getMeta.get('wall_clock_from')?.value ?? 0), offsetSeconds: offsetMinutes * 60 };

  const identity = storedIdentity(JSON.parse(getMeta.get('identity')?.value ?? 'null') as FnIdentity);
  const secret = Buffer.from(getMeta.get('secret')?.value ?? '', 'hex');

  return {
    identity,
    secret,
    readState,
    commit<T>(fn: (state: FnState) => Commit<T>): T {
      const out = db.transaction(() => {
        const c = fn(readState());
        insertAll(c.documents);
        for (const n of c.notifications ?? []) insertNotification.run(n.number, n.createdAt, Number(n.negative), JSON.stringify(n.body));
        setMeta.run('state', JSON.stringify(c.state));
        return c.result;
      }).immediate();
      written += 1;
      return out;
    },
    document(fdNumber) {
      const row = selectDoc.get(fdNumber);
      return row ? toDocument(row, legacy) : null;
    },
    journal: () => selectAll.all().map((row) => toDocument(row, legacy)),
    unsent() {
      const row = selectUnsent.get();
      return { count: row?.count ?? 0, oldestAt: row?.oldest ?? null, firstNumber: row?.first ?? null };
    },
    ackOfd: (now, enabledSince, delayMs) => {
      const n = ack.run({ now, since: enabledSince, delay: delayMs }).changes;
      if (n > 0) written += 1;
      return n;
    },
    unconfirmedNotifications() {
      const row = selectUnconfirmed.get();
      return { count: row?.count ?? 0, oldestAt: row?.oldest ?? null, firstNumber: row?.first ?? null };
    },
    confirmNotifications: (now, reachableSince, delayMs) => {
      const n = confirm.run({ now, since: reachableSince, delay: delayMs }).changes;
      if (n > 0) written += 1;
      return n;
    },
    negativeReceipts: (after, upTo) => selectNegative.get({ after: after ?? Number.MIN_SAFE_INTEGER, upTo })?.count ?? 0,
    notifications: () => selectNotifications.all().map(toNotification),
    async durable() {
      if (file === ':memory:') return;
      const target = written;
      while (synced < target) {
        // One fsync at a time; a caller whose write came after the one in flight waits for the next.
        syncing ??= (async () => {
          const upTo = written;
          // The WAL exists from the first write on and keeps its inode while the connection is
          // open (a checkpoint rewinds it in place), so one descriptor serves every sync.
          walFd ??= openSync(`${file}-wal`, 'r');
          await syncWal(walFd);
          synced = Math.max(synced, upTo);
        })().finally(() => {
          syncing = null;
        });
        await syncing;
      }
    },
    close: () => {
      if (walFd !== null) closeSync(walFd);
      walFd = null;
      db.close();
    },
  };
}
