/**
 * One connection to one register: typed command calls over the link, answer errors turned into
 * DeviceError, and the conversions of the device's local clock.
 */
import { DeviceError } from '../driver.js';
import { passwordOnly } from './commands.js';
import type { WallTime } from './commands.js';
import { deviceErrorFromAnswer } from './errors.js';
import { parseOffset, wallSecondsToIso } from './ffd-json.js';
import type { TimeContext } from './ffd-json.js';
import type { ShtrihLink } from './link.js';

export interface Session {
  readonly password: number;
  readonly time: TimeContext;
  /** Runs a command; ERR ≠ 0 → DeviceError 'rejected'. */
  call(command: number, data?: Uint8Array): Promise<Uint8Array>;
  /** Like call, but an ERR byte in `tolerated` is returned instead of thrown. */
  try(command: number, data: Uint8Array | undefined, tolerated: readonly number[]): Promise<{ error: number; data: Uint8Array }>;
  iso(t: WallTime): string;
  link: ShtrihLink;
}

export function createSession(link: ShtrihLink, password: number, timezoneOffset: string): Session {
  const time: TimeContext = { offsetMinutes: parseOffset(timezoneOffset) };
  const session: Session = {
    password,
    time,
    link,
    async call(command, data) {
      const answer = await link.call(command, data ?? passwordOnly(password));
      if (answer.error !== 0) throw deviceErrorFromAnswer(command, answer.error);
      return answer.data;
    },
    async try(command, data, tolerated) {
      const answer = await link.call(command, data ?? passwordOnly(password));
      if (answer.error !== 0 && !tolerated.includes(answer.error)) throw deviceErrorFromAnswer(command, answer.error);
      return { error: answer.error, data: answer.data };
    },
    iso: (t) => wallSecondsToIso(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000, time),
  };
  return session;
}

/**
 * After a closing command succeeded the document exists in the FN: a failure while reading its
 * details must not look like "nothing happened", so it becomes in_doubt and the caller resolves it
 * by the FD counter.
 */
export async function afterCommit<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new DeviceError('in_doubt', 'answer_lost', `${what} was closed in the FN but reading its result failed: ${message}`, { retryable: true });
  }
}
