import { runAtolEmulatorCli } from './devices/atol/emulator/index.js';
import { runShtrihEmulatorCli } from './devices/shtrih/emulator/index.js';

const USAGE = `Usage: cr-server emulate <shtrih|atol> [options]

  shtrih  a Shtrih-M register on TCP (default port 7778), binary protocol
  atol    the ATOL driver web server (default port 16732), JSON task API

Both run on the virtual fiscal core with its memory in --data-dir. \`cr-server emulate <kind> --help\`
lists the options of each.
`;

/**
 * `cr-server emulate <shtrih|atol> [options]`: a protocol emulator on the virtual fiscal core — a
 * test bench that speaks the vendor's wire protocol, for the real drivers and for integrators.
 */
export async function runEmulatorCli(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  let handle: { close(): Promise<void> } | null;
  try {
    switch (kind) {
      case 'shtrih':
        handle = await runShtrihEmulatorCli(rest);
        break;
      case 'atol':
        handle = await runAtolEmulatorCli(rest);
        break;
      default: {
        const asked = kind === undefined || kind === '--help' || kind === '-h';
        // Asked-for help is output (stdout, exit 0); an unknown kind is an error (stderr, exit 2).
        (asked ? process.stdout : process.stderr).write(USAGE);
        process.exitCode = asked ? 0 : 2;
        return;
      }
    }
  } catch (e) {
    process.stderr.write(`cr-server emulate ${kind}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  if (!handle) return;
  const h = handle;
  const stop = () => {
    h.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
