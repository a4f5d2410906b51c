import pg from 'pg';
import type { Logger } from 'pino';

/**
 * LISTENs on the `cr_queue` channel (see migration 002) and calls `onWork(groupId)` for every
 * notification, so a receipt accepted by any node wakes the node that drives its device at once.
 * Reconnects after a lost connection; the worker manager's once-a-second scan for waiting work
 * covers the gap.
 *
 * With `onGroupChanged`, also LISTENs on `cr_groups` (migration 011): a group's settings, access
 * list, registers or jobs changed on some node, and this node's cached lookups of it must go. Each
 * (re)connection first calls it with null — whatever changed while nobody listened, everything goes.
 */
export function listenForQueuedWork(url: string, onWork: (groupId: number) => void, logger: Logger, onGroupChanged?: (groupId: number | null) => void) {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (msg) => {
      const id = Number(msg.payload);
      if (!Number.isSafeInteger(id)) return;
      if (msg.channel === 'cr_groups') onGroupChanged?.(id);
      else onWork(id);
    });
    c.on('error', (e) => {
      logger.warn({ err: e }, 'queue listener lost its connection; reconnecting');
      void c.end().catch(() => undefined);
      schedule();
    });
    try {
      await c.connect();
      await c.query('LISTEN cr_queue');
      if (onGroupChanged) {
        await c.query('LISTEN cr_groups');
        onGroupChanged(null);
      }
      client = c;
    } catch (e) {
      logger.warn({ err: e }, 'queue listener cannot connect; retrying');
      await c.end().catch(() => undefined);
      schedule();
    }
  };
  const schedule = () => {
    if (stopped || retry) return;
    client = null;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, 1000);
    retry.unref();
  };

  return {
    start: connect,
    /** LISTENing now: notifications arrive (while it reconnects, the scheduler's scan covers). */
    get connected(): boolean {
      return client !== null;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
