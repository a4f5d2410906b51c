/**
 * FF46 tax-rate byte ↔ tag 1199. domain.md §5.2: a bitmask, one bit per rate of the device's tax
 * table (1 = 20 %, 2 = 10 %, 4 = 0 %, 8 = no VAT, 16 = 20/120, 32 = 10/110). One production driver
 * sends ordinals (3 = 0 %, 4 = no VAT) instead, so firmware may differ: verify on the device.
 * The 2025/2026 rates (5 %, 7 %, 5/105, 7/107, 22 %, 22/122) have no public Shtrih code. Our
 * emulator accepts 0x41–0x46 for them; the driver only sends those when `allow_new_vat_codes` is
 * set, because a real device could read 0x41 as "bit 0 = 20 %" and fiscalize a wrong rate.
 */
import type { Vat1199 } from '../../domain/enums.js';

export const VAT_TO_SHTRIH: Readonly<Record<Vat1199, number>> = {
  1: 0x01, 2: 0x02, 5: 0x04, 6: 0x08, 3: 0x10, 4: 0x20,
  7: 0x41, 8: 0x42, 9: 0x43, 10: 0x44, 11: 0x45, 12: 0x46,
};

export const CLASSIC_VAT: ReadonlySet<Vat1199> = new Set<Vat1199>([1, 2, 3, 4, 5, 6]);

const SHTRIH_TO_VAT = new Map<number, Vat1199>(
  Object.entries(VAT_TO_SHTRIH).map(([vat, code]) => [code, Number(vat) as Vat1199]),
);

export const vatFromShtrih = (code: number): Vat1199 | null => SHTRIH_TO_VAT.get(code) ?? null;
