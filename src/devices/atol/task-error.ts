import { ATOL_ERRORS } from './errors.js';

/**
 * A receipt task the device refuses before anything reaches the FN: becomes a subtask `error`
 * with this ATOL code. INVALID_PARAM marks a malformed field (the web server answers it as the
 * scripts' parse error, 501); other codes are the device's own refusal (11, 161).
 */
export class TaskError extends Error {
  constructor(
    readonly atolCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}

export const bad = (message: string): TaskError => new TaskError(ATOL_ERRORS.INVALID_PARAM, message);
