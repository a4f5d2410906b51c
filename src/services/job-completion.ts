/**
 * Wakes HTTP requests waiting for a device job (shift open/close, X-report, FN documents) instead
 * of each request polling the database. The worker that finishes a job on this node calls
 * `finished` (WorkerManager's onJobFinished); a job finished on another node reaches this node as a
 * PostgreSQL NOTIFY on `cr_queue` with the job's group id (`groupActivity`), after which the
 * waiters of that group read their job once more.
 */
export function createJobCompletion() {
  interface Waiter {
    jobId: number;
    groupId: number;
    wake: () => void;
  }
  const waiters = new Set<Waiter>();

  return {
    /**
     * Resolves when the job is reported finished, its group reports activity, or after `ms` —
     * whichever comes first; the caller then reads the job again. The caller registers before it
     * reads, so a completion between its read and its wait is never missed.
     */
    wait(jobId: number, groupId: number, ms: number): { done: Promise<void>; cancel: () => void } {
      let timer: NodeJS.Timeout | undefined;
      let waiter: Waiter | undefined;
      const done = new Promise<void>((resolve) => {
        const w: Waiter = {
          jobId,
          groupId,
          wake: () => {
            clearTimeout(timer);
            waiters.delete(w);
            resolve();
          },
        };
        waiter = w;
        waiters.add(w);
        timer = setTimeout(w.wake, ms);
      });
      return { done, cancel: () => waiter?.wake() };
    },
    finished(job: { id: number; groupId: number }): void {
      for (const w of [...waiters]) if (w.jobId === job.id) w.wake();
    },
    groupActivity(groupId: number): void {
      for (const w of [...waiters]) if (w.groupId === groupId) w.wake();
    },
    /** Requests waiting now (tests). */
    get waiting(): number {
      return waiters.size;
    },
  };
}
export type JobCompletion = ReturnType<typeof createJobCompletion>;
