/**
 * The one place a JSON column's text becomes its type. Every such column is written only by its
 * repository, from a value of that type (JSON.stringify), so what it reads back has the type it
 * wrote; a repository parses a column once, when it reads the row, and hands out the value.
 */
export function parseStored<T>(text: string): T {
  return JSON.parse(text) as T;
}

export const parseStoredOrNull = <T>(text: string | null): T | null => (text === null ? null : parseStored<T>(text));

/** An enumerated text column's value, checked: a value outside the union is a corrupt row, never passed on. */
export function storedEnum<T extends string>(values: readonly T[], value: string, column: string): T {
  const found = values.find((v) => v === value);
  if (found === undefined) throw new Error(`${column} holds an unknown value "${value}"`);
  return found;
}
