import { createHmac, randomBytes } from 'node:crypto';

/**
 * Callback signatures, in the scheme Stripe-style receivers verify: the signed text is
 * `<timestamp>.<body>` (the exact bytes sent), the signature its HMAC-SHA256 in hex under the
 * user's callback secret, sent as `X-CR-Signature: v1=<hex>`. While a rotated-out secret is still
 * valid, both sign: `v1=<current>,v1=<previous>`, so a receiver that has either secret accepts the
 * callback and the switch needs no coordinated moment. The timestamp (`X-CR-Timestamp`, unix
 * seconds) lets the receiver refuse replays of old callbacks.
 */

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_VALID_MS = 24 * 3600 * 1000;

/** A new secret: 32 random bytes, printable, with a prefix that says what it is when it turns up somewhere. */
export const newCallbackSecret = (): string => `crcb_${randomBytes(32).toString('base64url')}`;

export const signPayload = (secret: string, timestamp: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** The X-CR-Signature header: one `v1=` per signing secret, the current one first. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((s) => `v1=${signPayload(s, timestamp, body)}`).join(',');
}

/** The secrets that sign now: the current one, and the previous one while it is still valid. */
export function signingSecrets(s: { current: string; previous: string | null; rotatedAt: number | null }, now: number): string[] {
  const previousValid = s.previous !== null && s.rotatedAt !== null && now < s.rotatedAt + PREVIOUS_SECRET_VALID_MS;
  return previousValid && s.previous !== null ? [s.current, s.previous] : [s.current];
}
