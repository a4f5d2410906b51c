/**
 * The project's references stay true: every "§N.M" in the code, the tests and the docs names a
 * section of docs/domain.md (the only document with numbered sections; comments cite it as
 * `domain.md §N.M`, often with the "§" wrapped onto the next comment line), and nothing points
 * outside the repository into a sibling "shared" folder: docs/ is the project's own reference.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'data', 'coverage', 'test-artifacts', '.build']);
const TEXT = new Set(['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json', '.md', '.html', '.css', '.yml', '.yaml', '.sh', '.txt', '']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return SKIP_DIRS.has(d.name) ? [] : files(path);
    if (!d.isFile() || d.name === 'package-lock.json') return [];
    return TEXT.has(extname(d.name)) || d.name.startsWith('.env') ? [path] : [];
  });
}

/** "1", "1.1", "4a" of the headings "## 1. FFD …", "### 1.1 TLV …", "### 4a. libfptr10 …". */
function sections(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{2,6}\s+(\d+[a-z]?(?:\.\d+)*)\.?\s/gm)) if (m[1]) out.add(m[1]);
  return out;
}

interface Reference {
  file: string;
  line: number;
  section: string;
}

/** `§2.5`, `§ 2.5`, `§5.` (end of a sentence), and both ends of a range `§1.2–1.3` / `§1.2–§1.3`. */
const SECTION_REF = /§\s?(\d+[a-z]?(?:\.\d+)*)(?:\s?[–-]\s?§?(\d+[a-z]?(?:\.\d+)*))?/g;

function referencesIn(file: string): Reference[] {
  const text = readFileSync(file, 'utf8');
  const out: Reference[] = [];
  for (const m of text.matchAll(SECTION_REF)) {
    const line = text.slice(0, m.index).split('\n').length;
    for (const section of [m[1], m[2]]) if (section) out.push({ file: relative(ROOT, file), line, section });
  }
  return out;
}

const SCANNED = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'test')), ...files(join(ROOT, 'docs')), ...files(join(ROOT, 'scripts')), ...files(join(ROOT, 'bench')), join(ROOT, 'README.md')];

describe('references into docs/domain.md', () => {
  const known = sections(readFileSync(join(ROOT, 'docs', 'domain.md'), 'utf8'));
  const refs = SCANNED.flatMap(referencesIn);

  it('reads the numbered sections of domain.md', () => {
    for (const s of ['1', '1.1', '2.5', '4a', '4b', '5.3', '7']) expect(known, s).toContain(s);
  });

  it('finds the references (the scan itself works)', () => {
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.some((r) => r.file.startsWith('src/') && r.section === '2.5')).toBe(true);
  });

  it('every §-reference names a section that exists', () => {
    const broken = refs.filter((r) => !known.has(r.section)).map((r) => `${r.file}:${r.line} §${r.section}`);
    expect(broken).toEqual([]);
  });
});

describe('no pointers outside the project', () => {
  // Built from parts so that this file does not match itself.
  const outside = new RegExp(['\\.\\./', 'shared', '|', '/work/', 'shared'].join(''));

  it('nothing in the repository refers to a sibling "shared" folder', () => {
    const all = files(ROOT);
    expect(all.length).toBeGreaterThan(100);
    const hits = all.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((text, i) => (outside.test(text) ? [`${relative(ROOT, f)}:${i + 1}: ${text.trim().slice(0, 120)}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
