import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  /** Everything the child wrote to stdout and stderr (pino JSON lines). */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts cr-server as a real child process (the CLI, through tsx) and waits until `waitFor` answers
 * 200: /ready, or /health for a server expected to start not ready (a disk-full threshold above the
 * free space).
 */
export async function startChild(env: Record<string, string>, port: number, timeoutMs = 60_000, waitFor: '/ready' | '/health' = '/ready'): Promise<ChildServer> {
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
      const r = await fetch(`${url}${waitFor}`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server not ready in ${timeoutMs} ms: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, url, output: () => out, exited };
}
