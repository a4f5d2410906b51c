#!/usr/bin/env node
// `npm start`: production start. Builds the server (and the dashboard) first when the build is
// missing or older than the sources, then runs the compiled server with the given arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const entry = join(root, 'dist/src/cli.js');
const stale = (out, ...srcs) => !existsSync(out) || Math.max(...srcs.map(newest)) > statSync(out).mtimeMs;

if (stale(entry, join(root, 'src'))) {
  console.error('cr-server: building the server…');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const web = join(root, 'web');
if (existsSync(join(web, 'index.html')) && stale(join(web, 'dist/index.html'), join(web, 'src'))) {
  console.error('cr-server: building the dashboard…');
  const r = spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// Run the server in this very process, so SIGTERM/SIGINT reach its graceful-stop handlers.
await import(pathToFileURL(entry).href);
