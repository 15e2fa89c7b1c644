// The shadow log in this process's memory: the embedded runtime's default.
import { DEFAULT_SAMPLES_KEPT, disagrees, type ShadowLog, type ShadowSample } from './shadow-log.ts';
import { increments, tallies } from './tally.ts';

export function createMemoryShadowLog(options: { keep?: number } = {}): ShadowLog {
  const keep = Math.max(1, options.keep ?? DEFAULT_SAMPLES_KEPT);
  const nodes = new Map<string, { counters: Map<string, number>; samples: ShadowSample[] }>();
  const at = (dag: string, node: string) => {
    const k = `${dag}/${node}`;
    let n = nodes.get(k);
    if (!n) nodes.set(k, (n = { counters: new Map(), samples: [] }));
    return n;
  };
  return {
    async record(dag, node, outcomes) {
      if (outcomes.length === 0) return;
      const n = at(dag, node);
      for (const [k, inc] of increments(outcomes)) n.counters.set(k, (n.counters.get(k) ?? 0) + inc);
      const kept = outcomes.filter(disagrees).map((o) => structuredClone(o)).reverse();
      n.samples = [...kept, ...n.samples].slice(0, keep);
    },
    async report(dag, node, o = {}) {
      const n = nodes.get(`${dag}/${node}`);
      const samples = n?.samples ?? [];
      return { dag, node, shadows: tallies(n?.counters ?? []), samples: structuredClone(samples.slice(0, o.samples ?? samples.length)) };
    },
    async clear(dag, node) {
      nodes.delete(`${dag}/${node}`);
    },
    async close() {},
  };
}
