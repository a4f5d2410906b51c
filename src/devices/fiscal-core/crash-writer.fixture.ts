/**
 * Child process for store.crash.test.ts: registers receipts as fast as it can and reports each FD
 * number on stdout until the parent kills it with SIGKILL.
 */
import { systemClock } from '../driver.js';
import { openFiscalDevice } from './fiscal-device.js';
import { receipt } from './testing.js';

const file = process.argv[2];
if (!file) throw new Error('usage: crash-writer.fixture.ts <file>');
const device = openFiscalDevice({ file, seed: 'crash', clock: systemClock });
for (;;) {
  const r = device.register(receipt(), { autoOpenShift: true });
  process.stdout.write(`${r.fdNumber}\n`);
}
