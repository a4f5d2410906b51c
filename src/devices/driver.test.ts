import { describe, expect, it } from 'vitest';
import { DEVICE_ERROR_CODE_LIST } from '../domain/error-codes.js';
import { DeviceError, REPORTED_ERROR_CODES, WORKER_ERROR_CODES, deviceErrorText, leaseLost } from './driver.js';

describe('device error codes', () => {
  it('what devices report and what the worker concludes are, together, exactly the device codes of the one table', () => {
    const ours = [...REPORTED_ERROR_CODES, ...WORKER_ERROR_CODES];
    expect(new Set(ours).size).toBe(ours.length);
    expect([...ours].sort()).toEqual([...DEVICE_ERROR_CODE_LIST].sort());
  });

  it('messages start with the table text; rejections are final unless said otherwise', () => {
    const e = leaseLost('detail');
    expect(e).toMatchObject({ kind: 'offline', code: 'lease_lost', retryable: true });
    expect(e.message).toBe(`${deviceErrorText('lease_lost')}: detail`);
    expect(new DeviceError('rejected', 'zero_total', 'x').retryable).toBe(false);
  });
});
