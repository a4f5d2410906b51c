import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDriverRegistry } from './registry.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Relative module specifiers a TypeScript file loads at run time: static imports and re-exports
 * (except `import type` / `export type`, which verbatimModuleSyntax erases), side-effect imports
 * and dynamic import(). An `import { type X }` still loads its module under verbatimModuleSyntax,
 * so it counts.
 */
function runtimeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?\bfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of code.matchAll(statement)) {
    const [, , typeOnly, clause, spec] = m;
    if (typeOnly || spec === undefined) continue;
    // `export const x = ...` and friends never reach here: they have no quoted specifier after from.
    if (m[1] === 'export' && clause === undefined) continue;
    found.push(spec);
  }
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) if (m[1]) found.push(m[1]);
  return found.filter((s) => s.startsWith('.'));
}

/** Every project file the module at `entry` loads at run time, transitively (paths relative to the root). */
function moduleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const unread = [resolve(root, entry)];
  for (let file = unread.pop(); file !== undefined; file = unread.pop()) {
    const rel = relative(root, file);
    if (seen.has(rel)) continue;
    seen.add(rel);
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) unread.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return seen;
}

describe('driver registry', () => {
  it('offers the virtual register, ATOL and Shtrih-M drivers', () => {
    expect(createDriverRegistry().list().map((f) => f.model).sort()).toEqual(['atol', 'emulator', 'shtrih']);
  });

  it('does not load the protocol emulators (servers) into the production module graph', () => {
    const graph = moduleGraph('src/devices/registry.ts');
    // The graph really is followed: the drivers and the virtual register's core are in it.
    expect(graph).toContain('src/devices/atol/driver.ts');
    expect(graph).toContain('src/devices/shtrih/driver.ts');
    expect(graph).toContain('src/devices/emulator/emulator-driver.ts');
    expect(graph).toContain('src/devices/fiscal-core/fiscal-device.ts');
    const servers = [...graph].filter((f) => /^src\/devices\/(atol|shtrih)\/emulator\//.test(f));
    expect(servers).toEqual([]);
  });

  it('the import scanner sees the forms a server could come in by', () => {
    const src = [
      "import type { A } from './a.js';",
      "import { b, type B } from './b.js';",
      'import {\n  c,\n  d,\n} from "./c.js";',
      "export { e } from './e.js';",
      "export type { F } from './f.js';",
      "export * from './g.js';",
      "import './h.js';",
      "const i = await import('./i.js');",
      "// import { j } from './j.js';",
      "import { k } from 'node:fs';",
    ].join('\n');
    expect(runtimeImports(src).sort()).toEqual(['./b.js', './c.js', './e.js', './g.js', './h.js', './i.js']);
  });
});
