import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));

/** The command line as a user types it: help goes to the command it is asked of. */
describe('cr-server --help', () => {
  const help = (...args: string[]) => run(process.execPath, [tsx, cli, ...args], { timeout: 20_000 });

  it('prints the server options for `cr-server --help`', async () => {
    const { stdout } = await help('--help');
    expect(stdout).toContain('CR_RECEIPT_CACHE_MB');
  });

  it('prints each emulator’s own options, not the server’s', async () => {
    const shtrih = await help('emulate', 'shtrih', '--help');
    expect(shtrih.stdout).toContain('Usage: cr-server emulate shtrih');
    expect(shtrih.stdout).toContain('--model <name>');
    expect(shtrih.stdout).not.toContain('CR_RECEIPT_CACHE_MB');
  });

  it('refuses an unknown emulator with exit code 2 and the usage on stderr', async () => {
    const failed = await help('emulate', 'kasatka').then(() => null, (e: unknown) => e);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: cr-server emulate <shtrih|atol>') as unknown });
  });
});
