import { spawn } from 'node:child_process';
import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildServer } from '../support/child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Like startChild, but waits for /health (liveness) instead of /ready: for servers that are
 * expected to start not ready (a disk-full threshold above the free space).
 */
export async function startChildAlive(env: Record<string, string>, port: number, timeoutMs = 60_000): Promise<ChildServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts'], {
    cwd: root,
    env: { ...process.env, CR_PORT: String(port), CR_HOST: '127.0.0.1', CR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${out}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server not alive in ${timeoutMs} ms: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, url, output: () => out, exited };
}

/**
 * A TCP forwarder in front of PostgreSQL that a test can cut: `down()` stops listening and resets
 * every open connection (the database becomes unreachable: ECONNREFUSED, "Connection terminated
 * unexpectedly"); `up()` listens again on the same port.
 */
export async function tcpProxy(target: { host: string; port: number }): Promise<{ port: number; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: NetServer | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const a = s.address();
        port = typeof a === 'object' && a ? a.port : port;
        server = s;
        resolve();
      });
    });
  const down = async () => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.resetAndDestroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { port, down, up: listen, close: down };
}
