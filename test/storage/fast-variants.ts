import { ALL_FAST_PATHS, FAST_PATH_NAMES, type FastPathSwitches } from '../../src/storage/fast-paths.js';
import { BACKENDS, type Backend } from '../support/databases.js';

/**
 * The storage suites run with every fast path on (production), with each one off alone, and with
 * all off: a switched-off path must give exactly the same results. On PostgreSQL the SQLite
 * hand-over does not exist, so that variant is not repeated there.
 */
const variants: [string, Readonly<FastPathSwitches>][] = [
  ['all fast paths', ALL_FAST_PATHS],
  ...FAST_PATH_NAMES.map((name): [string, Readonly<FastPathSwitches>] => [`${name} off`, { ...ALL_FAST_PATHS, [name]: false }]),
  ['no fast paths', { groupCommit: false, readCache: false, precompiled: false, sqliteHandover: false }],
];

export const STORAGE_VARIANTS: { backend: Backend; label: string; fast: Readonly<FastPathSwitches> }[] = BACKENDS.flatMap((backend) =>
  variants.filter(([label]) => backend === 'sqlite' || label !== 'sqliteHandover off').map(([label, fast]) => ({ backend, label, fast })),
);
