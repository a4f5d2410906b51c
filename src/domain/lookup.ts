/**
 * A table looked up by keys that come from outside: API fields, JSON keys, device answers. An object
 * literal inherits `constructor`, `toString`, `__proto__`… from Object.prototype, so for it
 * `table['constructor'] ?? fallback` is a function, not the fallback, and passes a "known key" check
 * as a value. A `tax_type` of "constructor" was once accepted that way and stored a receipt item
 * without a VAT rate, which then broke every listing of its group. The table returned here has no
 * prototype: only its own keys answer, anything else is `undefined`.
 */
export function lookupTable<K extends string | number, V>(entries: Readonly<Record<K, V>>): Readonly<Record<K, V>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<K, V>, entries));
}
