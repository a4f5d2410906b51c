import { describe, expect, it } from 'vitest';
import { DeviceError } from '../devices/driver.js';
import { errorRecord, inDoubtRecord, jobOutcome, receiptOutcome } from './outcomes.js';

const rejected = (code: ConstructorParameters<typeof DeviceError>[1], retryable?: boolean) =>
  new DeviceError('rejected', code, code, retryable === undefined ? {} : { retryable });

describe('receipt outcome of a failed register call', () => {
  it('shift refusals with automatic shifts: back to the queue, the expired shift closed first', () => {
    expect(receiptOutcome(rejected('shift_expired', true), true)).toEqual({ kind: 'shift', closeShift: true });
    expect(receiptOutcome(rejected('shift_closed', true), true)).toEqual({ kind: 'shift', closeShift: false });
  });

  it('shift refusals without automatic shifts fail the receipt: nobody would open the shift for it', () => {
    expect(receiptOutcome(rejected('shift_expired', true), false)).toEqual({ kind: 'failed' });
    expect(receiptOutcome(rejected('shift_closed', true), false)).toEqual({ kind: 'failed' });
  });

  it('a final refusal fails the receipt; a passing one puts it back at the head of the queue', () => {
    expect(receiptOutcome(rejected('insufficient_payment'), true)).toEqual({ kind: 'failed' });
    expect(receiptOutcome(rejected('paper_out', true), true)).toEqual({ kind: 'release' });
    expect(receiptOutcome(rejected('fn_state_mismatch', true), false)).toEqual({ kind: 'release' });
  });

  it('offline (nothing reached the FN, the fence included) puts it back', () => {
    expect(receiptOutcome(new DeviceError('offline', 'device_offline', 'x'), true)).toEqual({ kind: 'release' });
    expect(receiptOutcome(new DeviceError('offline', 'lease_lost', 'x'), false)).toEqual({ kind: 'release' });
  });

  it('in doubt, and any failure that is not a DeviceError, leave the receipt in doubt', () => {
    expect(receiptOutcome(new DeviceError('in_doubt', 'answer_lost', 'x'), true)).toEqual({ kind: 'in_doubt' });
    expect(receiptOutcome(new DeviceError('in_doubt', 'device_timeout', 'x'), true)).toEqual({ kind: 'in_doubt' });
    expect(receiptOutcome(new TypeError('driver bug'), true)).toEqual({ kind: 'in_doubt' });
  });
});

describe('job outcome and error records', () => {
  it('offline jobs wait for the device; every other failure is the job outcome', () => {
    expect(jobOutcome(new DeviceError('offline', 'device_offline', 'x'))).toBe('release');
    expect(jobOutcome(rejected('shift_already_open'))).toBe('failed');
    expect(jobOutcome(new DeviceError('in_doubt', 'answer_lost', 'x'))).toBe('failed');
    expect(jobOutcome(new Error('boom'))).toBe('failed');
  });

  it('keeps the stable code, the device code and whether a retry may help', () => {
    expect(errorRecord(new DeviceError('rejected', 'paper_out', 'no paper', { deviceCode: '0x6B', retryable: true }))).toEqual({ code: 'paper_out', message: 'no paper', device_code: '0x6B', retryable: true });
    expect(errorRecord(new Error('boom'))).toEqual({ code: 'device_error', message: 'boom', device_code: null, retryable: true });
    expect(inDoubtRecord(new DeviceError('in_doubt', 'answer_lost', 'lost'))).toEqual({ code: 'in_doubt', message: 'lost', device_code: null, retryable: true });
  });
});
