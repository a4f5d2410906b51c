import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from './datetime.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice, FiscalDeviceOptions } from './fiscal-device.js';
import { TAG } from './tags.js';
import { fakeClock, receipt, rejection } from './testing.js';
import type { FakeClock } from './testing.js';
import { tagNumber } from '../ffd/tag-list.js';

const open: FiscalDevice[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

function device(clock: FakeClock, o: Partial<FiscalDeviceOptions> = {}): FiscalDevice {
  const d = openFiscalDevice({ file: ':memory:', seed: '5', clock, ofdAckDelayMs: 2000, ...o });
  open.push(d);
  return d;
}

describe('OFD outbox', () => {
  it('queues every document and the simulated OFD acknowledges each after the delay', () => {
    const clock = fakeClock();
    const d = device(clock);
    expect(d.status().ofd).toEqual({ unsentCount: 1, oldestUnsentAt: '2026-10-22T14:43:50+03:00' });
    clock.advance(1000);
    d.register(receipt(), { autoOpenShift: true });
    expect(d.status().ofd.unsentCount).toBe(3);
    clock.advance(1000);
    // the registration report was queued 2 s ago, the shift and the receipt 1 s ago
    expect(d.status().ofd).toEqual({ unsentCount: 2, oldestUnsentAt: '2026-10-22T14:43:51+03:00' });
    clock.advance(1000);
    expect(d.status().ofd).toEqual({ unsentCount: 0, oldestUnsentAt: null });
    expect(d.journal().map((doc) => doc.ofdAckedAt)).toEqual([T(2000), T(3000), T(3000)]);
  });

  it('when the OFD is off, documents stay unsent: ofd_timeout after 2 days, ofd_backlog after 30', () => {
    const clock = fakeClock();
    const d = device(clock, { ofdEnabled: false });
    d.register(receipt(), { autoOpenShift: true });
    d.closeShift(null);
    clock.advance(2 * DAY_MS);
    expect(d.status().warnings).not.toContain('ofd_timeout');
    clock.advance(1000);
    expect(d.status().warnings).toContain('ofd_timeout');
    const report = d.stateReport();
    expect(report).toMatchObject({ unsentCount: 4, oldestUnsentAt: '2026-10-22T14:43:50+03:00' });
    const doc = d.document(report.fdNumber);
    expect(doc && [TAG.unsentCount, TAG.unsentFirstNumber, TAG.ofdTimeoutSign].map((t) => tagNumber(doc.tags, t))).toEqual([4, 1, 1]);

    clock.advance(28 * DAY_MS - 2000);
    d.openShift(null);
    clock.advance(1000);
    // 30 days since the oldest unsent document: the FN refuses everything but closing the shift.
    const e = rejection(() => d.register(receipt(), { autoOpenShift: false }));
    expect(e).toMatchObject({ kind: 'rejected', code: 'ofd_backlog', deviceCode: '0x15' });
    expect(rejection(() => d.stateReport()).code).toBe('ofd_backlog');
    const closed = d.closeShift(null);
    expect(tagNumber(d.document(closed.fdNumber)?.tags ?? [], TAG.unsentCount)).toBe(6);
    expect(rejection(() => d.openShift(null)).code).toBe('ofd_backlog');

    // The link comes back: the OFD catches up and the FN accepts documents again.
    d.setOfdEnabled(true);
    clock.advance(2000);
    expect(d.status().ofd.unsentCount).toBe(0);
    expect(d.status().warnings).not.toContain('ofd_timeout');
    expect(d.register(receipt(), { autoOpenShift: true }).shiftNumber).toBe(3);
  });

  it('switching the OFD off stops acknowledgements from then on', () => {
    const clock = fakeClock();
    const d = device(clock);
    clock.advance(HOUR_MS);
    d.setOfdEnabled(false);
    d.register(receipt(), { autoOpenShift: true });
    clock.advance(HOUR_MS);
    expect(d.status().ofd.unsentCount).toBe(2);
  });
});

const T = (ms: number): number => Date.UTC(2026, 9, 22, 11, 43, 50) + ms;
