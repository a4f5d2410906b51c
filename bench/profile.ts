/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, and time per source area
 * (this project's src/ files, each node_modules package, node internals, GC, idle).
 * Usage: tsx bench/profile.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: { name: string; where: string; selfMs: number; pct: number }[];
  areas: { area: string; selfMs: number; pct: number }[];
  /** Inclusive time of this project's src/ functions (a function counted once per stack). */
  srcInclusive: { name: string; where: string; totalMs: number; pct: number }[];
}

const ROOT = new URL('..', import.meta.url).pathname;

/** Repository-relative path; the compiled copy in bench/.build (or bench/.build/alt-*) maps back to its .ts source. */
function repoPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  if (!path.startsWith(ROOT)) return path;
  const rel = path.slice(ROOT.length);
  const build = /^bench\/\.build\/(?:alt-[\w.-]+\/)?/.exec(rel);
  return build ? rel.slice(build[0].length).replace(/\.js$/, '.ts') : rel;
}

function where(cf: CallFrame): string {
  const p = repoPath(cf.url);
  if (!p) return '';
  // Lines of compiled files are the .js lines (tsc keeps them close to the .ts ones).
  return `${p}:${cf.lineNumber + 1}`;
}

function area(cf: CallFrame): string {
  if (cf.functionName === '(garbage collector)') return 'GC';
  if (cf.functionName === '(idle)') return 'idle';
  if (cf.functionName === '(program)') return 'V8/native (program)';
  const url = cf.url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return `pkg ${nm[1]}`;
  if (url.startsWith(ROOT)) return repoPath(url);
  if (url.startsWith('node:') || url === '') return cf.url ? 'node internals' : 'native (no url)';
  return url;
}

export function summarise(file: string, top = 30): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));

  let totalMs = 0;
  let idleMs = 0;
  const fn = new Map<string, { name: string; where: string; selfMs: number }>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, { name: string; where: string; totalMs: number }>();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    totalMs += ms;
    const key = `${cf.functionName}@${cf.url}:${cf.lineNumber}`;
    const f = fn.get(key) ?? { name: cf.functionName || '(anonymous)', where: where(cf), selfMs: 0 };
    f.selfMs += ms;
    fn.set(key, f);
    const a = area(cf);
    areas.set(a, (areas.get(a) ?? 0) + ms);
    // Inclusive time: walk up the stack, counting each src/ function once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)?.callFrame;
      if (!c || !repoPath(c.url).startsWith('src/')) continue;
      const k = `${c.functionName}@${c.url}:${c.lineNumber}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const e = inclusive.get(k) ?? { name: c.functionName || '(anonymous)', where: where(c), totalMs: 0 };
      e.totalMs += ms;
      inclusive.set(k, e);
    }
  }
  const pct = (ms: number) => (totalMs > 0 ? (100 * ms) / totalMs : 0);
  return {
    totalMs,
    idleMs,
    functions: [...fn.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top).map((f) => ({ ...f, pct: pct(f.selfMs) })),
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([a, ms]) => ({ area: a, selfMs: ms, pct: pct(ms) })),
    srcInclusive: [...inclusive.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, top).map((f) => ({ ...f, pct: pct(f.totalMs) })),
  };
}

export function renderSummary(s: ProfileSummary, top = 25): string {
  const out: string[] = [];
  out.push(`busy ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`);
  out.push('', 'self time by function:');
  for (const f of s.functions.slice(0, top)) out.push(`  ${f.pct.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}`);
  out.push('', 'self time by area:');
  for (const a of s.areas.slice(0, top)) out.push(`  ${a.pct.toFixed(1).padStart(5)} %  ${a.selfMs.toFixed(0).padStart(6)} ms  ${a.area}`);
  out.push('', 'inclusive time of src/ functions:');
  for (const f of s.srcInclusive.slice(0, top)) out.push(`  ${f.pct.toFixed(1).padStart(5)} %  ${f.totalMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}`);
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/profile.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${renderSummary(summarise(file, 60), Number(process.argv[3] ?? '30'))}\n`);
}
