// The core benchmark's DAG: six no-op operators, a → {b, c} → d → e → f (one join at d).
// Node `a` writes a payload of the item's requested size; every later node reads the previous
// node's field and the payload, and writes its own small field, so the payload lives in the
// side-cache until its last reader (f) completes. The source record stays tiny because it
// travels inside every trigger.
import { z } from 'zod';
import { defineDag, type DagSpec } from '../../framework/dag/index.ts';
import { defineOperator, type OperatorDefinition } from '../../framework/operator-sdk/index.ts';

const stamp = z.string();

export function coreOperators(): OperatorDefinition[] {
  return [
    defineOperator({
      name: 'bench-a', version: '1', description: 'writes the payload', inputs: { size: z.string() }, outputs: { payload: z.string(), a: stamp },
      async handler({ size }) {
        return { payload: 'x'.repeat(Number(size)), a: 'a' };
      },
    }),
    defineOperator({
      name: 'bench-b', version: '1', description: 'no-op', inputs: { a: stamp, payload: z.string() }, outputs: { b: stamp },
      async handler({ a, payload }) { return { b: `${a}b${payload.length % 10}` }; },
    }),
    defineOperator({
      name: 'bench-c', version: '1', description: 'no-op', inputs: { a: stamp, payload: z.string() }, outputs: { c: stamp },
      async handler({ a, payload }) { return { c: `${a}c${payload.length % 10}` }; },
    }),
    defineOperator({
      name: 'bench-d', version: '1', description: 'no-op join', inputs: { b: stamp, c: stamp, payload: z.string() }, outputs: { d: stamp },
      async handler({ b, c, payload }) { return { d: `${b}${c}${payload.length % 10}` }; },
    }),
    defineOperator({
      name: 'bench-e', version: '1', description: 'no-op', inputs: { d: stamp, payload: z.string() }, outputs: { e: stamp },
      async handler({ d, payload }) { return { e: `${d}e${payload.length % 10}` }; },
    }),
    defineOperator({
      name: 'bench-f', version: '1', description: 'no-op sink', inputs: { e: stamp, payload: z.string() }, outputs: { f: stamp },
      async handler({ e, payload }) { return { f: `${e}f${payload.length % 10}` }; },
    }),
  ];
}

export const CORE_NODES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

export function coreDag(name: string, concurrency: number): DagSpec {
  return defineDag({ name, source: ['size'], keep: ['f'], defaults: { concurrency, timeoutMs: 30_000, retry: { maxAttempts: 3, backoffMs: 200, maxBackoffMs: 1_000 } } }, [
    { id: 'a', operator: 'bench-a', reads: ['size'], writes: ['payload', 'a'] },
    { id: 'b', operator: 'bench-b', after: ['a'], reads: ['a', 'payload'], writes: ['b'] },
    { id: 'c', operator: 'bench-c', after: ['a'], reads: ['a', 'payload'], writes: ['c'] },
    { id: 'd', operator: 'bench-d', after: ['b', 'c'], reads: ['b', 'c', 'payload'], writes: ['d'] },
    { id: 'e', operator: 'bench-e', after: ['d'], reads: ['d', 'payload'], writes: ['e'] },
    { id: 'f', operator: 'bench-f', after: ['e'], reads: ['e', 'payload'], writes: ['f'] },
  ]);
}
