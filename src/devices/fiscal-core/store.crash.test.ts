import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../driver.js';
import { openFiscalDevice } from './fiscal-device.js';
import { verifyFiscalSign } from './fiscal-sign.js';
import { receipt, tempDir } from './testing.js';

const fixture = fileURLToPath(new URL('./crash-writer.fixture.ts', import.meta.url));

/** Runs the writer until it has reported `atLeast` documents, then SIGKILLs it mid-stream. */
function writeThenKill(file: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = 0;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      const lines = b.toString().trim().split('\n');
      last = Number(lines[lines.length - 1]);
      if (last >= atLeast) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`writer exited: ${stderr}`))));
  });
}

describe('FN memory after a kill -9', () => {
  it('keeps whole documents only: no gap, no half-written document, every sign verifies, numbering continues', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'fn.sqlite');
      const reported = await writeThenKill(file, 40);
      const d = openFiscalDevice({ file, seed: 'crash', clock: systemClock });
      try {
        const last = d.lastFdNumber();
        // The writer may have closed documents whose answer it never printed; never fewer.
        expect(last).toBeGreaterThanOrEqual(reported);
        const journal = d.journal();
        expect(journal.map((j) => j.fdNumber)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
        expect(journal.every((doc) => verifyFiscalSign(d.secret, doc))).toBe(true);
        expect(d.register(receipt(), { autoOpenShift: true }).fdNumber).toBe(last + 1);
      } finally {
        d.close();
      }
    } finally {
      cleanup();
    }
  });
});
