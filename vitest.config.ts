import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two suites, each test file in exactly one of them (README "Testing"):
 *
 * - `fast` (`npm test`, part of `npm run check`): unit, API, contract, storage and in-process
 *   fault-injection tests — everything that runs inside the test process against SQLite, PostgreSQL
 *   or a protocol emulator on an ephemeral port. It must stay within 2 minutes on a 2-core machine:
 *   it is what every change runs.
 * - `reliability` (`npm run test:reliability`): the runs that cost minutes or need a whole machine —
 *   real server processes killed, frozen, restarted or stopped with a signal, PostgreSQL connections
 *   cut, thousands of fuzzed requests, two nodes racing for one register, Chromium.
 *
 * CI (`.ci/run`) runs both. A new test file lands in `fast` unless it matches a pattern below.
 */
const RELIABILITY = [
  // Kills, freezes and restarts of real processes; multi-node; PostgreSQL blips; fuzzing at volume.
  'test/reliability/crash.test.ts',
  'test/reliability/fuzz.test.ts',
  'test/reliability/graceful-stop.test.ts',
  'test/reliability/multi-node.test.ts',
  'test/reliability/pool-nodes.test.ts',
  'test/reliability/pg-blip.test.ts',
  'test/reliability/secrets-in-logs.test.ts',
  'test/reliability/split-brain.test.ts',
  'test/ops/postgres-outage.test.ts',
  'test/ops/data-dir.test.ts',
  'test/api/restart.test.ts',
  'test/api/real-drivers.test.ts',
  // Callback deliveries across killed and restarted server processes, and two nodes; deliveries to a
  // real receiver through failures, timeouts and Retry-After (they wait on real backoff timers).
  'test/callbacks/restart.test.ts',
  'test/callbacks/delivery.test.ts',
  '**/*.crash.test.ts',
  // Debian's Chromium.
  'test/browser/**/*.test.ts',
  '**/*.browser.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core machines: database-heavy suites and child-process tests fight for CPU beyond this.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...RELIABILITY],
          // Files share their worker's module cache instead of importing the whole server again
          // for each file: a quarter less CPU for the suite (measured). Safe because nothing in
          // src/ keeps module-level state, and the fast suite neither mocks modules nor leaves
          // fake timers behind.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: RELIABILITY,
        },
      },
    ],
  },
});
