#!/usr/bin/env node
import { hostname } from 'node:os';
import { CONFIG_HELP, ConfigError, loadConfig } from './config.js';
import { startServer } from './main.js';

async function main(argv: string[]): Promise<void> {
  // `emulate` first: its own --help lists the emulator's options, not the server's.
  if (argv[0] === 'emulate') {
    const { runEmulatorCli } = await import('./emulate.js');
    await runEmulatorCli(argv.slice(1));
    return;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(CONFIG_HELP);
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env, { nodeId: `${hostname()}:${process.pid}` });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`cr-server: invalid configuration: ${e.message}\n\n${CONFIG_HELP}`);
      process.exit(2);
    }
    throw e;
  }
  const server = await startServer(config);
  let signalled = false;
  const stop = (signal: string) => {
    if (signalled) {
      server.logger.warn('second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    server.logger.info({ signal }, 'stopping: finishing the current device operations');
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        server.logger.error({ err: e }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`cr-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
