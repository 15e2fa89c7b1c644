/**
 * The embedded runtime: every DAG of a job in one process, operators over real gRPC.
 *
 *   const rt = await startEmbeddedRuntime({ dags, operators: [createUpper()] });
 *   await rt.submit([{ dag: 'greet', itemKey: 'k1', source: { name: 'ada' } }]);
 *   await rt.idle();
 *   await rt.close();
 */
export { startEmbeddedRuntime, type EmbeddedRuntime, type EmbeddedRuntimeOptions } from './embedded-runtime.ts';
export { discoverOperators, type OperatorDirectory } from './operator-directory.ts';
