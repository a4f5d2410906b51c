/** What the emulated register answers to one command: an error byte and data, or a dropped line. */
export type Outcome = { error: number; data: Uint8Array } | { drop: true };

export const ok = (data: Uint8Array = new Uint8Array(0)): Outcome => ({ error: 0, data });
export const refuse = (byte: number): Outcome => ({ error: byte, data: new Uint8Array(0) });
