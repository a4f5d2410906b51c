import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JsonObject, SubtaskResult } from '../protocol.js';

/** One request of the web server queue, persisted so a restart can recover a `blocked` document. */
export interface QueuedRequest {
  uuid: string;
  tasks: JsonObject[];
  results: SubtaskResult[];
  createdAt: number;
  /** FN's last FD number read just before the fiscal subtask now running or blocked (§2.5). */
  lastFd: number | null;
}

/** Finished requests kept for polling and for 409 on a duplicate uuid. */
const KEEP_FINISHED = 5000;

export interface QueueStore {
  requests: QueuedRequest[];
  byUuid: Map<string, QueuedRequest>;
  save(): void;
}

/**
 * The queue as one JSON file rewritten atomically (tmp + rename) on every state change:
 * the emulator handles one document at a time, so simplicity beats throughput here.
 * `file` null keeps the queue in memory only.
 */
export function openQueueStore(file: string | null): QueueStore {
  let requests: QueuedRequest[] = [];
  if (file !== null) {
    try {
      const loaded: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(loaded)) requests = loaded as QueuedRequest[];
    } catch {
      // First start: no queue yet.
    }
  }
  const store: QueueStore = {
    requests,
    byUuid: new Map(requests.map((r) => [r.uuid, r])),
    save() {
      if (store.requests.length > KEEP_FINISHED) {
        const drop = store.requests.length - KEEP_FINISHED;
        for (const r of store.requests.splice(0, drop)) store.byUuid.delete(r.uuid);
      }
      if (file === null) return;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(store.requests));
      renameSync(`${file}.tmp`, file);
    },
  };
  return store;
}
