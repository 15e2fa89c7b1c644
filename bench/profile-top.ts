// Where a `--cpu-prof` profile spent its time, without a browser: self time by package (or
// Node/V8 internals) and by function.
//   npx tsx bench/profile-top.ts bench/results/tmp/cpu-prof-…/quarry-kafka-redis-main.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('Expected a .cpuprofile path, got nothing');
const topN = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));

const where = (url: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:') || url === '') return url === '' ? '(native/V8)' : 'node core';
  if (url.includes('/bench/')) return 'bench harness';
  return /\/(framework|cli|operators|flow-control)\//.test(url) ? 'quarry' : url;
};
const pkg = new Map<string, number>();
const fn = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') {
    idle += us;
    continue;
  }
  total += us;
  const w = ['(garbage collector)', '(program)'].includes(name) ? name : where(n.callFrame.url);
  pkg.set(w, (pkg.get(w) ?? 0) + us);
  const key = `${name} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(framework|bench|cli)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
console.log('\nself time by package:');
for (const [k, v] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(`${pct(v)}  ${k}`);
console.log('\nself time by function:');
for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(`${pct(v)}  ${k}`);
