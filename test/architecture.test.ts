// Architecture rules, checked on the import graph (Flink-style architecture tests):
// components import each other only through their public face (`index.ts`), dependencies point
// one way (framework imports no other component), and components have no import cycles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.startsWith('node_modules/'));

/** The component a file belongs to: `operators/<name>` and `framework/<part>` count one each. */
function componentOf(file: string): string {
  const [top, second] = file.split('/');
  if ((top === 'operators' || top === 'framework') && second && !second.endsWith('.ts')) return `${top}/${second}`;
  return top!;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
  spec: string;
}

const edges: Edge[] = [];
const isTest = (f: string) => f.endsWith('.test.ts');
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    edges.push({ from: file, to: normalize(join(dirname(file), spec)), spec });
  }
}

const LAYERS: Record<string, readonly string[]> = {
  // Which top-level components each may import (besides itself). Tests, benches, examples and
  // the CLI are composition roots and may import anything.
  framework: [],
  proto: [],
  'relation-engine': ['framework'],
  'flow-control': ['framework'],
  operators: ['framework', 'relation-engine', 'operators'],
  dags: ['framework'],
  'demo-site': ['framework'],
};
/** Port definitions the framework's parts share directly (interfaces only, no behaviour). */
const PORT_FILES = new Set(['framework/bus/trigger-bus.ts', 'framework/side-cache/side-cache.ts', 'framework/blob-store/blob-store.ts', 'framework/item-ledger/item-ledger.ts', 'framework/operator-sdk/define-operator.ts']);
const top = (c: string) => c.split('/')[0]!;
const isPublicFace = (target: string) => /(^|\/)index\.ts$/.test(target) || target.endsWith('.proto');

describe('architecture', () => {
  it('finds the import graph', () => {
    assert.ok(edges.length > 100, `only ${edges.length} imports found`);
  });

  it('components import each other only through index.ts', () => {
    const bad = edges.filter((e) => {
      const from = componentOf(e.from);
      const to = componentOf(e.to);
      if (from === to || ['test', 'bench', 'scripts'].includes(top(from))) return false;
      // The framework's own parts may share port definitions (the port files) with each other.
      if (top(from) === 'framework' && top(to) === 'framework') return !isPublicFace(e.to) && !PORT_FILES.has(e.to);
      return !isPublicFace(e.to);
    });
    assert.deepEqual(bad.map((e) => `${e.from} imports ${e.spec}`), []);
  });

  it('dependencies point one way: framework imports no other component, and so on', () => {
    const bad = edges.filter((e) => {
      const from = top(componentOf(e.from));
      const to = top(componentOf(e.to));
      const allowed = LAYERS[from];
      // Test files are composition roots too: a component's tests may use any other component.
      return !isTest(e.from) && allowed !== undefined && from !== to && !allowed.includes(to);
    });
    assert.deepEqual(bad.map((e) => `${e.from} imports ${e.spec}`), []);
  });

  it('components have no import cycles', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges.filter((x) => !isTest(x.from))) {
      const a = componentOf(e.from);
      const b = componentOf(e.to);
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    const cycles: string[] = [];
    const state = new Map<string, number>();
    const stack: string[] = [];
    const visit = (n: string) => {
      state.set(n, 1);
      stack.push(n);
      for (const m of graph.get(n) ?? []) {
        if (state.get(m) === 1) cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
        else if (!state.get(m)) visit(m);
      }
      stack.pop();
      state.set(n, 2);
    };
    for (const n of graph.keys()) if (!state.get(n)) visit(n);
    assert.deepEqual(cycles, []);
  });
});
