/**
 * The real cr-server in its own process (the composition root, exactly as cli.ts starts it), plus
 * BENCH_GROUPS service groups on the virtual register (latency_ms 0 unless BENCH_LATENCY_MS, OFD defaults), started.
 * Reports its URL and group ids to bench/run.ts over IPC; SIGTERM stops it gracefully. IPC
 * {type:'profile-start'} / {type:'profile-stop', file} record a V8 CPU profile of just the load
 * window (node --cpu-prof would include start-up and module loading); with BENCH_HEAP_PROFILE=1 also a
 * sampling heap profile of the same window, written beside it as .heapprofile. IPC {type:'memory', gc?}
 * answers {type:'memory', rss, heapTotal, heapUsed, external, arrayBuffers, gc} (bytes), after two
 * full collections when gc is asked and the child runs with --expose-gc (the fleet part).
 *
 * env: the usual CR_* settings, BENCH_GROUPS (default 1), BENCH_LATENCY_MS (default 0).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { createGroupRepository } from '../src/storage/groups.js';

async function main(): Promise<void> {
  const config = loadConfig([], process.env, { nodeId: `bench:${process.pid}` });
  const server = await startServer(config);
  const groups = createGroupRepository(server.db);
  const ids: number[] = [];
  const n = Number(process.env.BENCH_GROUPS ?? '1');
  // BENCH_LATENCY_MS > 0 holds the register busy: the worker stays inside its first device call,
  // so a POST run measures the accept path alone.
  const latency = Number(process.env.BENCH_LATENCY_MS ?? '0');
  for (let i = 0; i < n; i++) {
    const now = Date.now();
    const { group } = await groups.create(
      { name: `bench-${i + 1}`, enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: { latency_ms: latency } },
      now,
    );
    await groups.setRunning(group.id, true, now);
    ids.push(group.id);
  }
  if (n === 0) for (const g of await groups.list()) ids.push(g.id);
  await server.workers.reconcile();
  let session: Session | null = null;
  process.on('message', (m: { type?: string; file?: string; gc?: boolean }) => {
    void (async () => {
      if (m.type === 'memory') {
        const gc = (globalThis as { gc?: () => void }).gc;
        const collect = m.gc === true && gc !== undefined;
        if (collect) {
          gc();
          await new Promise<void>((r) => setImmediate(r));
          gc();
        }
        process.send?.({ type: 'memory', gc: collect, ...process.memoryUsage() });
      } else if (m.type === 'profile-start') {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 250 });
        await session.post('Profiler.start');
        if (process.env.BENCH_HEAP_PROFILE === '1') {
          await session.post('HeapProfiler.enable');
          await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
        }
        process.send?.({ type: 'profile-started' });
      } else if (m.type === 'profile-stop' && session && m.file) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(m.file, JSON.stringify(profile));
        if (process.env.BENCH_HEAP_PROFILE === '1') {
          const heap = await session.post('HeapProfiler.stopSampling');
          writeFileSync(m.file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heap.profile));
        }
        session.disconnect();
        session = null;
        process.send?.({ type: 'profile-written' });
      }
    })();
  });
  process.send?.({ type: 'ready', url: server.url, groups: ids });
  process.on('SIGTERM', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`server-child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
