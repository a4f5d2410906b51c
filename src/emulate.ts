/**
 * `cr-server emulate <shtrih|atol> [options]`: a protocol emulator on the virtual fiscal core, a
 * test bench that speaks a vendor's wire protocol.
 */
export async function runEmulatorCli(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  switch (kind) {
    default:
      process.stderr.write(`Usage: cr-server emulate <shtrih|atol> [--port N] [--data-dir DIR]\n`);
      process.exitCode = 2;
      void rest;
  }
}
