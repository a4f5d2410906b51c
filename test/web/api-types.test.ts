/**
 * The dashboard's API types are generated from the server's OpenAPI document: a route schema changed
 * without `npm run gen:api` fails here (CI), instead of the web code silently drifting from the API.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/gen-api-types.js';

describe('web/src/api-types.ts', () => {
  it('is what npm run gen:api generates from the current schemas', async () => {
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    // Not toBe(): a drift would print the whole file twice; say what to do instead.
    expect(committed === (await generateApiTypes()), 'web/src/api-types.ts is out of date: run npm run gen:api').toBe(true);
  }, 60_000);
});
