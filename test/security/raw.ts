import { connect, type Socket } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';

/** An in-process server listening on 127.0.0.1 (port chosen by the OS), test profile, with extra CR_* settings. */
export async function listeningServer(env: Record<string, string> = {}, nodeId = 'security-test'): Promise<Server & { port: number }> {
  const server = await startServer(loadConfig([], { CR_PROFILE: 'test', CR_PORT: '0', CR_LOG_LEVEL: 'silent', ...env }, { nodeId }));
  return Object.assign(server, { port: Number(new URL(server.url).port) });
}

/**
 * One raw TCP connection: what the server sent, and when it closed the connection. Used where
 * fetch would hide what matters (slow writers, unread bodies, refused connections).
 */
export class RawConnection {
  data = '';
  closedAt: number | null = null;
  readonly closed: Promise<number>;
  readonly connected: Promise<boolean>;
  private trickle: NodeJS.Timeout | null = null;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (this.data += d));
    socket.on('error', () => undefined);
    this.connected = new Promise((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('close', () => resolve(false));
    });
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.stopTrickle();
      this.closedAt = Date.now();
      resolve(this.closedAt);
    }));
  }

  static async open(port: number, localAddress?: string): Promise<RawConnection> {
    const c = new RawConnection(connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) }));
    await c.connected;
    return c;
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text, 'latin1');
  }

  /** Sends one character of `text` every `everyMs` (a slow client) until the connection closes or `text` runs out. */
  startTrickle(text: string, everyMs: number): void {
    let i = 0;
    this.trickle = setInterval(() => {
      if (i >= text.length || this.socket.destroyed) return this.stopTrickle();
      this.write(text[i++] ?? '');
    }, everyMs);
  }

  stopTrickle(): void {
    if (this.trickle) clearInterval(this.trickle);
    this.trickle = null;
  }

  /** True when the server closed the connection within `ms` (without waiting longer). */
  async closesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const r = await Promise.race([this.closed.then(() => true as const), timeout]);
    clearTimeout(timer);
    return r;
  }

  /** Waits until the received data matches `re` (or `ms` pass); returns the match. */
  async waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.data.match(re);
      if (m) return m;
      if (Date.now() > deadline || this.closedAt !== null) return this.data.match(re);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The first response's status code (null: none received). */
  status(): number | null {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.data);
    return m ? Number(m[1]) : null;
  }

  /** A header of the first response, lower-cased name. */
  header(name: string): string | null {
    const head = this.data.split('\r\n\r\n')[0] ?? '';
    for (const line of head.split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      if (i > 0 && line.slice(0, i).trim().toLowerCase() === name) return line.slice(i + 1).trim();
    }
    return null;
  }

  /** The first response's body (Content-Length framed). */
  body(): string {
    const i = this.data.indexOf('\r\n\r\n');
    if (i < 0) return '';
    const len = Number(this.header('content-length') ?? 0);
    return this.data.slice(i + 4, i + 4 + len);
  }

  destroy(): void {
    this.stopTrickle();
    this.socket.destroy();
  }
}

/** One GET over a fresh connection (optionally from another loopback address): its status, or null when refused. */
export async function rawGet(port: number, path: string, opts: { localAddress?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<number | null> {
  const c = await RawConnection.open(port, opts.localAddress);
  const extra = Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  c.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Connection: close\r\n\r\n`);
  await Promise.race([c.closed, c.waitFor(/^HTTP\/1\.1 \d{3}[^]*\r\n\r\n/, opts.timeoutMs ?? 3000)]);
  await c.closesWithin(opts.timeoutMs ?? 3000);
  c.destroy();
  return c.status();
}
