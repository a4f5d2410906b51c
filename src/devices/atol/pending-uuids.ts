import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Request uuids of receipts whose outcome the driver does not know yet.
 *
 * FiscalDriver.register() gets no receipt id, so the uuid is derived from a stable hash of the
 * receipt JSON. The hash alone is not enough: two customers can legitimately buy the same thing
 * for the same money, and a second identical receipt must not be answered with the first one's
 * result (409 → "already done" would silently skip a fiscal document). So the uuid is
 * hash(receipt) + a per-journal nonce + an attempt sequence, and the journal remembers it only
 * while the outcome is unknown (POST failed or answer lost). A resend of that receipt reuses the
 * uuid, gets 409 from the web server and polls the existing request: it cannot be fiscalized twice.
 * Once the outcome is known (ready or error) the entry is dropped and the next identical receipt
 * gets a fresh uuid.
 */
export interface PendingUuids {
  /**
   * The uuid for this receipt: the pending one if a previous attempt is unresolved, else a new one,
   * resolved once the journal holding it is written (the caller sends nothing before that).
   */
  uuidFor(receiptHash: string): Promise<string>;
  /** Forget it: the outcome is known. Resolves once the journal is written. */
  resolve(receiptHash: string): Promise<void>;
}

interface Journal {
  nonce: string;
  seq: number;
  pending: Record<string, { uuid: string; at: number }>;
}

/** Entries older than this are dropped: the web server does not keep results that long either. */
const MAX_AGE_MS = 30 * 24 * 3_600_000;

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Stable hash of a JSON value (key order does not matter). */
export const stableHash = (v: unknown): string => createHash('sha256').update(canonical(v)).digest('hex');

const asUuid = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

/** `file` null: in memory (the journal then lives as long as the driver object). */
export function createPendingUuids(file: string | null, now: () => number): PendingUuids {
  let journal: Journal = { nonce: randomBytes(8).toString('hex'), seq: 0, pending: {} };
  if (file !== null) {
    try {
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as Journal;
      if (typeof loaded.nonce === 'string' && typeof loaded.seq === 'number' && typeof loaded.pending === 'object') journal = loaded;
    } catch {
      // No journal yet (or unreadable): start a new one with a fresh nonce.
    }
  }
  // Written off the event loop (two synchronous writes per receipt were 2.5 % of the server's
  // thread with 50 ATOL registers in the fleet benchmark), one write at a time and in call order:
  // each write carries the journal as it was when it was asked for, so the file never goes back to
  // an older state, and a failed write fails its own caller only.
  //
  // Durable before it resolves: the file's data is synced before the rename and the directory after
  // it. A uuid lost by a power cut would let a resend go out under a new uuid (a second document if
  // the first arrived); a lost `resolve` would answer the next identical receipt with the earlier
  // one's result and skip its document.
  let writing: Promise<void> = Promise.resolve();
  let dirMade = false;
  const syncDir = async (dir: string): Promise<void> => {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  const save = (): Promise<void> => {
    if (file === null) return Promise.resolve();
    const text = JSON.stringify(journal);
    const tmp = `${file}.tmp`;
    const write = writing.catch(() => undefined).then(async () => {
      if (!dirMade) await mkdir(dirname(file), { recursive: true });
      dirMade = true;
      await writeFile(tmp, text, { flush: true });
      await rename(tmp, file);
      await syncDir(dirname(file));
    });
    writing = write;
    return write;
  };
  return {
    async uuidFor(receiptHash) {
      const existing = journal.pending[receiptHash];
      if (existing && now() - existing.at < MAX_AGE_MS) return existing.uuid;
      journal.seq += 1;
      const uuid = asUuid(createHash('sha256').update(`${receiptHash}:${journal.nonce}:${journal.seq}`).digest('hex'));
      for (const [h, e] of Object.entries(journal.pending)) if (now() - e.at >= MAX_AGE_MS) delete journal.pending[h];
      journal.pending[receiptHash] = { uuid, at: now() };
      // Written before the POST: a crash after sending must not lose the uuid.
      await save();
      return uuid;
    },
    async resolve(receiptHash) {
      if (!(receiptHash in journal.pending)) return;
      delete journal.pending[receiptHash];
      await save();
    },
  };
}
