/**
 * Rendered API bodies of receipts in `success`, the one state nothing ever leaves (retry applies to
 * failed receipts, cancel to pending ones, in-doubt resolution to processing/in-doubt ones), so a
 * cached body can never go stale. Least recently used first out, bounded by size: strings are
 * counted at two bytes a character, their worst case in V8.
 */
export function createBodyCache(maxBytes: number) {
  const entries = new Map<number, { groupId: number; body: string }>();
  let bytes = 0;
  const sizeOf = (body: string) => 2 * body.length + 64;

  return {
    get(receiptId: number, groupId: number): string | undefined {
      const e = entries.get(receiptId);
      if (!e || e.groupId !== groupId) return undefined;
      entries.delete(receiptId);
      entries.set(receiptId, e);
      return e.body;
    },
    set(receiptId: number, groupId: number, body: string): void {
      const size = sizeOf(body);
      if (size > maxBytes) return;
      const old = entries.get(receiptId);
      if (old) {
        bytes -= sizeOf(old.body);
        entries.delete(receiptId);
      }
      entries.set(receiptId, { groupId, body });
      bytes += size;
      for (const [id, e] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(id);
        bytes -= sizeOf(e.body);
      }
    },
    get size(): number {
      return entries.size;
    },
    get bytes(): number {
      return bytes;
    },
  };
}
export type BodyCache = ReturnType<typeof createBodyCache>;
