/**
 * The DAG API and compiler. A DAG file builds data; the compiler validates it and derives the
 * plan the miner runs (topics, joins, field liveness).
 *
 *   const greet = defineDag({ name: 'greet', source: ['name'] }, [
 *     { id: 'hello', operator: 'hello', reads: ['name'], writes: ['greeting'] },
 *   ]);
 *   console.log(formatPlan(compileDag(greet)));
 */
export * from './define-dag.ts';
export * from './compile-dag.ts';
export { formatPlan } from './format-plan.ts';
export { loadDagFile } from './load-dag-file.ts';
export { routedOperators, dagOperators, operatorUses } from './routing-checks.ts';
