/**
 * The runtime: every DAG of a job in one process — ingress, a miner hosting every node, and the
 * operators (in-process, or at remote endpoints) — on the embedded adapters or any others.
 *
 *   const rt = await startRuntime({ dags, operators: [createUpper()] });
 *   await rt.submit([{ dag: 'greet', itemKey: 'k1', source: { name: 'ada' } }]);
 *   await rt.idle();
 *   await rt.close();
 */
export { startRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { discoverOperators, type OperatorDirectory, type DiscoverOptions } from './operator-directory.ts';
export { runtimeSignals, type SignalSources } from './signals.ts';
export { createRedisSignalBoard, type SignalBoard, type SignalBoardOptions, type BoardReading, type MinerLoad, type NodeLoadFigures } from './signal-board.ts';
export { startSignalPublisher, type SignalPublisher, type SignalPublisherOptions } from './signal-publisher.ts';
